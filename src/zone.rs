//! The office's time zone (`--time-zone`, contract §12): pages show every
//! time in it, with the zone named, while everything machines read (CSV
//! files, `datetime` attributes, logs) stays UTC. Per server, never a
//! process global: one process may run several apps in different zones.

use std::str::FromStr;

use chrono::TimeZone;
use chrono::{DateTime, Offset, Utc};
use chrono_tz::{OffsetName, Tz};

/// A zone of the IANA database, parsed once from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Its IANA name (`Europe/Berlin`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// `at` as a registrar reads it: the local date and time and the name
    /// of the offset in force then (`2026-12-07 10:14:03 CET`, in summer
    /// `… CEST`), so the hour repeated when clocks go back is never
    /// ambiguous. A zone whose offsets have no letters is named by the
    /// offset (`UTC-03`, `UTC+05:45`).
    pub fn show(self, at: DateTime<Utc>) -> String {
        // A list shows fifty times a page: UTC needs no look-up.
        if self.0 == Tz::UTC {
            return stamp(&at.naive_utc(), "UTC");
        }
        let local = at.with_timezone(&self.0);
        let label = match local.offset().abbreviation() {
            Some(name) if name.chars().all(|c| c.is_ascii_alphabetic()) => name.to_owned(),
            _ => utc_offset(local.offset().fix().local_minus_utc()),
        };
        stamp(&local.naive_local(), &label)
    }
}

impl Zone {
    /// The first instant of the day `date` in this zone (the office's day:
    /// `since=2026-12-07` in Berlin starts at 23:00 UTC the day before). A
    /// midnight the clocks skip starts the day at the first instant after
    /// it.
    pub fn day_start(self, date: chrono::NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        (0..=3)
            .find_map(|hours| {
                let local = midnight + chrono::Duration::hours(hours);
                self.0.from_local_datetime(&local).earliest()
            })
            .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc))
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `2026-12-07 10:14:03 LABEL`, written digit by digit: a list shows fifty
/// a page, and `format!`'s padded integers cost ten times as much.
fn stamp(at: &chrono::NaiveDateTime, label: &str) -> String {
    let mut text = String::with_capacity(20 + label.len());
    if !date_and_time(&mut text, at, ' ') {
        return format!("{} {label}", at.format("%Y-%m-%d %H:%M:%S"));
    }
    text.push(' ');
    text.push_str(label);
    text
}

/// `at` in RFC 3339, UTC, to the microsecond
/// (`2026-12-07T09:14:03.123456Z`), as `datetime` attributes give it.
pub fn iso(at: DateTime<Utc>) -> String {
    use chrono::Timelike;
    let mut text = String::with_capacity(27);
    let nanos = at.nanosecond();
    // A leap second (nanoseconds past a billion) takes chrono's path.
    if nanos >= 1_000_000_000 || !date_and_time(&mut text, &at.naive_utc(), 'T') {
        return at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    }
    text.push('.');
    let micros = nanos / 1_000;
    for part in [micros / 10_000, micros / 100 % 100, micros % 100] {
        two_digits(&mut text, part);
    }
    text.push('Z');
    text
}

/// Writes `at` as `2026-12-07 10:14:03` (its date and time parted by
/// `separator`) onto `text`, unless its year is outside four digits.
fn date_and_time(text: &mut String, at: &chrono::NaiveDateTime, separator: char) -> bool {
    use chrono::{Datelike, Timelike};
    let Ok(year @ 0..=9999) = u32::try_from(at.year()) else {
        return false;
    };
    two_digits(text, year / 100);
    two_digits(text, year % 100);
    for (before, value) in [
        ('-', at.month()),
        ('-', at.day()),
        (separator, at.hour()),
        (':', at.minute()),
        (':', at.second()),
    ] {
        text.push(before);
        two_digits(text, value);
    }
    true
}

/// `value` (under 100) as two digits.
fn two_digits(text: &mut String, value: u32) {
    for digit in [value / 10, value % 10] {
        text.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// A name the IANA database does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a time zone of the IANA database: give a name such as Europe/Berlin, \
     America/New_York or UTC (upper and lower case as written)"
)]
pub struct UnknownZone;

impl FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        name.parse::<Tz>().map(Zone).map_err(|_| UnknownZone)
    }
}

/// `UTC+01`, `UTC-03`, `UTC+05:45`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match (minutes / 60, minutes % 60) {
        (hours, 0) => format!("UTC{sign}{hours:02}"),
        (hours, minutes) => format!("UTC{sign}{hours:02}:{minutes:02}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::Zone;

    fn zone(name: &str) -> Zone {
        name.parse().unwrap()
    }

    #[test]
    fn an_instant_is_shown_in_the_zone_with_the_offset_in_force_named() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 7, 9, 14, 3).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 7, 9, 14, 3).unwrap();
        assert_eq!(Zone::UTC.show(winter), "2026-12-07 09:14:03 UTC");
        assert_eq!(
            zone("Europe/Berlin").show(winter),
            "2026-12-07 10:14:03 CET"
        );
        assert_eq!(
            zone("Europe/Berlin").show(summer),
            "2026-07-07 11:14:03 CEST"
        );
        assert_eq!(
            zone("America/New_York").show(winter),
            "2026-12-07 04:14:03 EST"
        );
    }

    #[test]
    fn the_hour_repeated_in_autumn_is_told_apart() {
        // Berlin's clocks go back at 01:00 UTC on 25 October 2026.
        let first = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        let second = Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap();
        assert_eq!(
            zone("Europe/Berlin").show(first),
            "2026-10-25 02:30:00 CEST"
        );
        assert_eq!(
            zone("Europe/Berlin").show(second),
            "2026-10-25 02:30:00 CET"
        );
    }

    #[test]
    fn a_zone_without_letters_is_named_by_its_offset() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 14, 3).unwrap();
        assert_eq!(
            zone("America/Sao_Paulo").show(at),
            "2026-12-07 06:14:03 UTC-03"
        );
        assert_eq!(
            zone("Asia/Kathmandu").show(at),
            "2026-12-07 14:59:03 UTC+05:45"
        );
    }

    #[test]
    fn every_field_is_padded_to_its_width() {
        let early = Utc.with_ymd_and_hms(987, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(Zone::UTC.show(early), "0987-01-02 03:04:05 UTC");
        let late = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(Zone::UTC.show(late), "9999-12-31 23:59:59 UTC");
        let beyond = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(Zone::UTC.show(beyond), "+10000-01-01 00:00:00 UTC");
    }

    #[test]
    fn iso_is_chrono_s_rfc_3339_to_the_microsecond() {
        let mut at = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        let step = chrono::Duration::microseconds(3_161_234_567_891);
        for _ in 0..2_000 {
            let chrono = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert_eq!(super::iso(at), chrono);
            at += step;
        }
        let far = Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap();
        let chrono = far.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        assert_eq!(super::iso(far), chrono);
        let late = Utc.with_ymd_and_hms(2026, 12, 7, 9, 14, 3).unwrap();
        let late = late + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(super::iso(late), "2026-12-07T09:14:03.123456Z");
    }

    #[test]
    fn a_day_starts_at_the_office_s_midnight() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            Zone::UTC.day_start(day),
            Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap()
        );
        assert_eq!(
            zone("Europe/Berlin").day_start(day),
            Utc.with_ymd_and_hms(2026, 12, 6, 23, 0, 0).unwrap()
        );
        // Santiago's clocks skip from 00:00 to 01:00 on 6 September 2026:
        // the day starts at 01:00 local, 04:00 UTC.
        let skipped = chrono::NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(
            zone("America/Santiago").day_start(skipped),
            Utc.with_ymd_and_hms(2026, 9, 6, 4, 0, 0).unwrap()
        );
    }

    #[test]
    fn only_names_of_the_database_are_zones() {
        assert_eq!(zone("Europe/Berlin").name(), "Europe/Berlin");
        assert_eq!(Zone::default(), Zone::UTC);
        for bad in [
            "",
            "Berlin",
            "Europe/Berln",
            "europe/berlin",
            "+01:00",
            "CET ",
        ] {
            assert!(bad.parse::<Zone>().is_err(), "{bad:?} was taken");
        }
    }
}
