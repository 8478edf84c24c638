//! The `since=` and `until=` filters of the office's logs (the change log
//! and the access log): days in the office's time zone, both inclusive,
//! read once, with the message that says why one cannot be read.

use chrono::{DateTime, NaiveDate, Utc};

use crate::zone::Zone;

/// A span of days, both ends inclusive; a missing end is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Days {
    /// The first day.
    pub since: Option<NaiveDate>,
    /// The last day.
    pub until: Option<NaiveDate>,
}

/// Why a span could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaysProblem {
    Since,
    Until,
    /// `since` is after `until`.
    Order,
}

impl DaysProblem {
    /// The form field it is about.
    pub fn field(self) -> &'static str {
        match self {
            DaysProblem::Since | DaysProblem::Order => "since",
            DaysProblem::Until => "until",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            DaysProblem::Since => "“Since” must be a date written YYYY-MM-DD, such as 2026-12-07.",
            DaysProblem::Until => "“Until” must be a date written YYYY-MM-DD, such as 2026-12-07.",
            DaysProblem::Order => "“Since” must not be after “Until”.",
        }
    }
}

impl Days {
    /// The span `since` to `until` as typed (an empty value: that end is
    /// open).
    pub fn parse(since: &str, until: &str) -> Result<Days, DaysProblem> {
        let day = |text: &str, problem| match text.is_empty() {
            true => Ok(None),
            false => parse_date(text).map(Some).ok_or(problem),
        };
        let days = Days {
            since: day(since, DaysProblem::Since)?,
            until: day(until, DaysProblem::Until)?,
        };
        match (days.since, days.until) {
            (Some(since), Some(until)) if since > until => Err(DaysProblem::Order),
            _ => Ok(days),
        }
    }

    /// The first instant of the span (`since`'s first moment in `zone`).
    pub fn from_instant(&self, zone: Zone) -> Option<DateTime<Utc>> {
        self.since.map(|since| day_start(since, zone))
    }

    /// The instant the span ends before (the first moment after `until`).
    pub fn to_instant(&self, zone: Zone) -> Option<DateTime<Utc>> {
        self.until
            .map(|until| day_start(until.succ_opt().unwrap_or(until), zone))
    }
}

/// A date written exactly `YYYY-MM-DD` (what a date input sends).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            matches!(i, 4 | 7) == (b == b'-') && (matches!(i, 4 | 7) || b.is_ascii_digit())
        });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The earliest and latest instants a day bound becomes: every backend
/// stores these (MariaDB's `DATETIME` ends at 9999), and nothing logged is
/// outside them, so a bound beyond them selects the same entries.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
const LATEST: NaiveDate = NaiveDate::from_ymd_opt(9000, 1, 1).expect("a date");

/// The instant the office's day `date` starts, in its time zone (the one
/// place that turns a day into an instant).
pub fn day_start(date: NaiveDate, zone: Zone) -> DateTime<Utc> {
    zone.day_start(date.clamp(EARLIEST, LATEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_reads_open_ends_and_refuses_what_is_not_a_day() {
        assert_eq!(Days::parse("", ""), Ok(Days::default()));
        let days = Days::parse("2026-12-01", "2026-12-07").unwrap();
        assert_eq!(
            days.to_instant(Zone::UTC).unwrap().to_rfc3339(),
            "2026-12-08T00:00:00+00:00"
        );
        assert_eq!(Days::parse("2026-1-1", ""), Err(DaysProblem::Since));
        assert_eq!(Days::parse("", "tomorrow"), Err(DaysProblem::Until));
        assert_eq!(
            Days::parse("2026-12-08", "2026-12-07"),
            Err(DaysProblem::Order)
        );
    }

    #[test]
    fn far_days_become_instants_every_backend_stores() {
        let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        assert_eq!(
            day_start(far, Zone::UTC).to_rfc3339(),
            "9000-01-01T00:00:00+00:00"
        );
        let near = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        assert_eq!(
            day_start(near, Zone::UTC).to_rfc3339(),
            "1970-01-01T00:00:00+00:00"
        );
    }
}
