//! What the change log is asked for: its filters, read once from the query
//! string, and the addresses of its pages.
//!
//! A filter that cannot be read (a date that is not `YYYY-MM-DD`, an id
//! that is not a positive number, an action the log does not know) is a
//! `400` that says which and keeps the form as typed: unlike the list,
//! whose bad values fall back to defaults, a log that quietly dropped a
//! filter would answer a different question. An empty value is no filter
//! (a filter form sends every field). The cursor `before` is read leniently,
//! as the list's: one that names no revision starts at the newest.

use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use crate::days::{Days, DaysProblem};
use crate::domain::Username;
use crate::http::encode::query_value;
use crate::http::query::QueryPairs;
use crate::students::import::store::imports;
use crate::students::paths;
use crate::students::store::Action;
use crate::zone::Zone;

/// The filters as typed, for the form (and for links, once read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed {
    pub by: String,
    pub action: String,
    pub since: String,
    pub until: String,
    pub student: String,
    pub import: String,
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
            by: value("by"),
            action: value("action"),
            since: value("since"),
            until: value("until"),
            student: value("student"),
            import: value("import"),
        }
    }
}

/// The log's filters, read. Every one narrows the entries; none at all is
/// the whole office's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Changes made by this account (as typed; the handler looks the
    /// account up).
    pub by: Option<Username>,
    pub action: Option<Action>,
    /// The days, both inclusive.
    pub days: Days,
    /// Changes to this student.
    pub student: Option<i64>,
    /// The rows of this import, one entry each.
    pub import: Option<String>,
}

/// A filter that could not be read: which, and what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    By,
    Action,
    Days(DaysProblem),
    Student,
    Import,
}

impl Problem {
    /// The form field it is about.
    pub fn field(self) -> &'static str {
        match self {
            Problem::By => "by",
            Problem::Action => "action",
            Problem::Days(days) => days.field(),
            Problem::Student => "student",
            Problem::Import => "import",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Problem::By => {
                "“By” must be a username: letters, digits, dots, dashes, underscores and @."
            }
            Problem::Action => {
                "“Action” must be one of created, updated, deleted, restored, undeleted, imported."
            }
            Problem::Days(days) => days.message(),
            Problem::Student => "“Student” must be a student's id: a whole number from 1.",
            Problem::Import => "This address does not name an import.",
        }
    }
}

impl Filters {
    pub fn parse(typed: &Typed) -> Result<Filters, Problem> {
        let given = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        let by = given(&typed.by)
            .map(|v| Username::parse(&v).map_err(|_| Problem::By))
            .transpose()?;
        let action = given(&typed.action)
            .map(|v| Action::try_from_value(&v).map_err(|_| Problem::Action))
            .transpose()?;
        let days = Days::parse(&typed.since, &typed.until).map_err(Problem::Days)?;
        let student = given(&typed.student)
            .map(|v| student_id(&v).ok_or(Problem::Student))
            .transpose()?;
        let import = given(&typed.import)
            .map(|v| {
                if imports::well_formed(&v) {
                    Ok(v)
                } else {
                    Err(Problem::Import)
                }
            })
            .transpose()?;
        Ok(Filters {
            by,
            action,
            days,
            student,
            import,
        })
    }

    /// Whether an import shows as one entry: always, except in the rows of
    /// one import or the changes of one student, where each is its own.
    pub fn groups_imports(&self) -> bool {
        self.import.is_none() && self.student.is_none()
    }

    /// Whether any filter is set.
    pub fn any(&self) -> bool {
        *self != Filters::default()
    }

    /// The instant the log starts at (`since`'s first moment in the
    /// office's zone).
    pub fn from_instant(&self, zone: Zone) -> Option<DateTime<Utc>> {
        self.days.from_instant(zone)
    }

    /// The instant the log ends before (the first moment after `until`).
    pub fn to_instant(&self, zone: Zone) -> Option<DateTime<Utc>> {
        self.days.to_instant(zone)
    }

    /// The log's address with these filters, from just below revision
    /// `before` when given.
    pub fn href(&self, before: Option<i64>) -> String {
        self.href_at(paths::CHANGES, before)
    }

    /// The same entries as CSV.
    pub fn csv_href(&self) -> String {
        self.href_at(paths::CHANGES_CSV, None)
    }

    fn href_at(&self, path: &str, before: Option<i64>) -> String {
        let params: Vec<String> = [
            self.by
                .as_ref()
                .map(|by| format!("by={}", query_value(by.as_str()))),
            self.action
                .map(|action| format!("action={}", action.to_value())),
            self.days.since.map(|d| format!("since={d}")),
            self.days.until.map(|d| format!("until={d}")),
            self.student.map(|id| format!("student={id}")),
            self.import
                .as_ref()
                .map(|id| format!("import={}", query_value(id))),
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

/// `before=ID`: the revision the page starts just below, if it reads as
/// one (anything else starts at the newest).
pub fn before(pairs: &QueryPairs) -> Option<i64> {
    pairs
        .get("before")
        .and_then(|b| b.trim().parse::<i64>().ok())
        .filter(|&b| b > 0)
}

/// A student's id as a filter gives it: a whole number from 1.
pub fn student_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|&id| id > 0)
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
    fn empty_values_are_no_filter() {
        let filters = Filters::parse(&typed(&[("by", ""), ("action", " "), ("since", "")]));
        assert_eq!(filters, Ok(Filters::default()));
    }

    #[test]
    fn every_filter_reads_once_and_writes_back_the_same() {
        let id = "a".repeat(43);
        let filters = Filters::parse(&typed(&[
            ("by", "grace"),
            ("action", "deleted"),
            ("since", "2026-12-01"),
            ("until", "2026-12-07"),
            ("student", "42"),
            ("import", &id),
        ]))
        .unwrap();
        assert_eq!(filters.action, Some(Action::Deleted));
        assert_eq!(
            filters.href(Some(9)),
            format!(
                "/changes?by=grace&action=deleted&since=2026-12-01&until=2026-12-07\
                 &student=42&import={id}&before=9"
            )
        );
        assert_eq!(
            filters.to_instant(Zone::UTC).unwrap().to_rfc3339(),
            "2026-12-08T00:00:00+00:00"
        );
    }

    #[test]
    fn bad_values_name_their_filter() {
        for (key, value, problem) in [
            ("by", "ada lovelace", Problem::By),
            ("action", "edited", Problem::Action),
            ("since", "2026-13-01", Problem::Days(DaysProblem::Since)),
            ("since", "2026-1-1", Problem::Days(DaysProblem::Since)),
            ("until", "yesterday", Problem::Days(DaysProblem::Until)),
            ("until", "+2026-12-01", Problem::Days(DaysProblem::Until)),
            ("student", "abc", Problem::Student),
            ("student", "0", Problem::Student),
            ("student", "99999999999999999999", Problem::Student),
            ("import", "x", Problem::Import),
        ] {
            assert_eq!(
                Filters::parse(&typed(&[(key, value)])),
                Err(problem),
                "{key}={value}"
            );
        }
        assert_eq!(
            Filters::parse(&typed(&[("since", "2026-12-08"), ("until", "2026-12-07")])),
            Err(Problem::Days(DaysProblem::Order))
        );
    }
}
