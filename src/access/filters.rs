//! What the access log is asked for: `account=`, `student=`, `since=`,
//! `until=` (days in the office's time zone, inclusive) and the cursor
//! `before=`. A filter that cannot be read is a `400` naming it, the form
//! kept as typed (as the change log's); an empty value is no filter.

use super::store::Scope;
use crate::days::{Days, DaysProblem};
use crate::domain::Username;
use crate::http::encode::query_value;
use crate::http::query::QueryPairs;
use crate::students::changes::query::student_id;
use crate::zone::Zone;

/// The log's page.
pub const PAGE_PATH: &str = "/audit/access";
/// The same entries as CSV.
pub const CSV_PATH: &str = "/audit/access.csv";

/// The filters as typed, for the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed {
    pub account: String,
    pub student: String,
    pub since: String,
    pub until: String,
}

impl Typed {
    pub fn from_pairs(pairs: &QueryPairs) -> Typed {
        let value = |key| {
            pairs
                .get(key)
                .map(|v| v.trim().chars().take(100).collect())
                .unwrap_or_default()
        };
        Typed {
            account: value("account"),
            student: value("student"),
            since: value("since"),
            until: value("until"),
        }
    }
}

/// The filters, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub account: Option<Username>,
    pub student: Option<i64>,
    /// The days, both inclusive.
    pub days: Days,
}

/// A filter that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Account,
    Student,
    Days(DaysProblem),
}

impl Problem {
    /// The form field it is about.
    pub fn field(self) -> &'static str {
        match self {
            Problem::Account => "account",
            Problem::Student => "student",
            Problem::Days(days) => days.field(),
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Problem::Account => {
                "“Account” must be a username: letters, digits, dots, dashes, underscores and @."
            }
            Problem::Student => "“Student” must be a student's id: a whole number from 1.",
            Problem::Days(days) => days.message(),
        }
    }
}

impl Filters {
    pub fn parse(typed: &Typed) -> Result<Filters, Problem> {
        let given = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        let account = given(&typed.account)
            .map(|v| Username::parse(&v).map_err(|_| Problem::Account))
            .transpose()?;
        let student = given(&typed.student)
            .map(|v| student_id(&v).ok_or(Problem::Student))
            .transpose()?;
        let days = Days::parse(&typed.since, &typed.until).map_err(Problem::Days)?;
        Ok(Filters {
            account,
            student,
            days,
        })
    }

    pub fn any(&self) -> bool {
        *self != Filters::default()
    }

    /// The statements' scope: days become instants in the office's zone
    /// (`until` up to the first moment after it); the account as typed
    /// (the handler puts the stored username in its place).
    pub fn scope(&self, zone: Zone) -> Scope {
        Scope {
            account: self.account.as_ref().map(|a| a.as_str().to_owned()),
            student: self.student,
            from: self.days.from_instant(zone),
            to: self.days.to_instant(zone),
        }
    }

    /// The page with these filters, from just below entry `before`.
    pub fn href(&self, before: Option<i64>) -> String {
        self.href_at(PAGE_PATH, before)
    }

    /// The same entries as CSV.
    pub fn csv_href(&self) -> String {
        self.href_at(CSV_PATH, None)
    }

    fn href_at(&self, path: &str, before: Option<i64>) -> String {
        let params: Vec<String> = [
            self.account
                .as_ref()
                .map(|a| format!("account={}", query_value(a.as_str()))),
            self.student.map(|id| format!("student={id}")),
            self.days.since.map(|d| format!("since={d}")),
            self.days.until.map(|d| format!("until={d}")),
            before.map(|id| format!("before={id}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if params.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", params.join("&"))
        }
    }
}

/// `before=ID`: the entry the page starts just below, if it reads as one
/// (anything else starts at the newest).
pub fn before(pairs: &QueryPairs) -> Option<i64> {
    pairs
        .get("before")
        .and_then(|b| b.trim().parse::<i64>().ok())
        .filter(|&b| b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(pairs: &[(&str, &str)]) -> Typed {
        let pairs = QueryPairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        Typed::from_pairs(&pairs)
    }

    #[test]
    fn every_filter_reads_once_and_writes_back_the_same() {
        let filters = Filters::parse(&typed(&[
            ("account", "Grace"),
            ("student", "42"),
            ("since", "2026-12-01"),
            ("until", "2026-12-07"),
        ]))
        .unwrap();
        assert_eq!(
            filters.href(Some(9)),
            "/audit/access?account=Grace&student=42&since=2026-12-01&until=2026-12-07&before=9"
        );
        let scope = filters.scope(Zone::UTC);
        assert_eq!(scope.account.as_deref(), Some("Grace"));
        assert_eq!(scope.to.unwrap().to_rfc3339(), "2026-12-08T00:00:00+00:00");
    }

    #[test]
    fn bad_values_name_their_filter() {
        for (key, value, problem) in [
            ("account", "ada lovelace", Problem::Account),
            ("student", "0", Problem::Student),
            ("student", "x", Problem::Student),
            ("since", "2026-13-01", Problem::Days(DaysProblem::Since)),
            ("until", "tomorrow", Problem::Days(DaysProblem::Until)),
        ] {
            assert_eq!(Filters::parse(&typed(&[(key, value)])), Err(problem));
        }
        assert_eq!(
            Filters::parse(&typed(&[("since", "2026-12-08"), ("until", "2026-12-07")])),
            Err(Problem::Days(DaysProblem::Order))
        );
    }
}
