//! Why a row is not imported, as the preview says it before the confirm
//! and the result, the refused rows' CSV and `registrar import` say it
//! after: read back from what the row kept (its outcome when the file was
//! checked, the problems found then or when it was written) and from the
//! record as it is now. Only a stale row can be merged by hand; only a
//! stale or deleted one was kept in its record's history.

use super::parse::problems::Problem;
use super::store::rows::{self as import_rows, StoredRow};
use crate::db::entities::import_row::RowOutcome;
use crate::students::store::Student;

/// Why a row is (or will be) refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotImported {
    /// The file's values broke the rules, found when it was read.
    Invalid(Vec<Problem>),
    /// No student has the row's id.
    Unknown(i64),
    /// The row's student number was given to another student after the
    /// file was checked.
    NumberTaken(Vec<Problem>),
    /// The record changed since the row's version (kept in its history).
    Stale { version: i64, now: i64 },
    /// The record was deleted (kept in its history).
    Deleted { version: i64 },
}

impl NotImported {
    /// Why the preview expects `row` not to be imported (`None`: it is
    /// written, or changes nothing), `current` its record as it is now.
    pub fn previewed(row: &StoredRow, current: Option<&Student>) -> Option<NotImported> {
        match row.outcome {
            RowOutcome::Create | RowOutcome::Update | RowOutcome::Unchanged => None,
            RowOutcome::Invalid
            | RowOutcome::Unknown
            | RowOutcome::Conflict
            | RowOutcome::Deleted => Some(NotImported::refused(row, current)),
        }
    }

    /// Why the confirm refused `row`, `current` its record as it is now.
    pub fn refused(row: &StoredRow, current: Option<&Student>) -> NotImported {
        let problems = import_rows::problems(row);
        let version = row.version.unwrap_or_default();
        match (row.outcome, row.student_id, current) {
            (RowOutcome::Invalid, _, _) => NotImported::Invalid(problems),
            (RowOutcome::Unknown, Some(id), _) | (_, Some(id), None) => NotImported::Unknown(id),
            // Problems of a valid row were found when it was written: a
            // create is refused for nothing else.
            (_, None, _) => NotImported::NumberTaken(problems),
            _ if !problems.is_empty() => NotImported::NumberTaken(problems),
            (_, Some(_), Some(current)) if current.deleted_at.is_some() => {
                NotImported::Deleted { version }
            }
            (_, Some(_), Some(current)) => NotImported::Stale {
                version,
                now: current.version,
            },
        }
    }

    /// A word for pages and tests: `invalid`, `unknown`, `number-taken`,
    /// `stale` or `deleted`.
    pub fn word(&self) -> &'static str {
        match self {
            NotImported::Invalid(_) => "invalid",
            NotImported::Unknown(_) => "unknown",
            NotImported::NumberTaken(_) => "number-taken",
            NotImported::Stale { .. } => "stale",
            NotImported::Deleted { .. } => "deleted",
        }
    }

    /// The problems listed with it (an invalid row's, a taken number's).
    pub fn problems(&self) -> &[Problem] {
        match self {
            NotImported::Invalid(problems) | NotImported::NumberTaken(problems) => problems,
            _ => &[],
        }
    }

    /// What a page says beside the row's problems.
    pub fn summary(&self) -> String {
        match self {
            NotImported::Invalid(_) => "Invalid: the file's row breaks the rules.".to_owned(),
            NotImported::Unknown(id) => format!("There is no student with id {id}."),
            NotImported::NumberTaken(_) => "Student number taken.".to_owned(),
            NotImported::Stale { version, now } => format!(
                "Changed by someone else since version {version} (now at version {now}); \
                 kept in the record's history."
            ),
            NotImported::Deleted { version } => {
                format!("The record was deleted after version {version}; kept in its history.")
            }
        }
    }

    /// The whole reason on one line, problems included (the CSV's `reason`
    /// column, the command line).
    pub fn text(&self) -> String {
        let problems = self.problems();
        if problems.is_empty() {
            return self.summary();
        }
        let listed: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.at.label(), p.message))
            .collect();
        match self {
            NotImported::NumberTaken(_) => listed.join(" "),
            _ => format!("Invalid: {}", listed.join(" ")),
        }
    }

    /// Whether the file's values can be merged onto the record by hand (the
    /// merge page): only when the record is there and changed since.
    pub fn merges(&self) -> bool {
        matches!(self, NotImported::Stale { .. })
    }
}
