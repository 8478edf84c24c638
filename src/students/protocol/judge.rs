//! The decision, made under the lock and nowhere else: pure, so every
//! order of its rules is tested on its own. The order matters: a deleted
//! record is gone whatever else; a stale write is a conflict even if its
//! values are also invalid.

use crate::db::entities::import_row::RowOutcome;
use crate::domain::{FieldErrors, Reason, ReasonInput, StudentNumber, StudentValues};
use crate::students::store::numbers::Holder;
use crate::students::store::{Revision, Student};
use crate::students::values::{HasValues, StudentForm};

use super::Act;

/// Write, or refuse and why.
#[derive(Debug)]
pub enum Verdict {
    Write(Change, Option<Reason>),
    Refuse(Refusal),
}

/// The write a verdict allows.
#[derive(Debug)]
pub enum Change {
    /// New values (an edit, or a restore of an earlier version's).
    Values(StudentValues),
    Delete,
    Undelete,
}

/// Why nothing is written.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Gone,
    Stale,
    NotDeleted,
    NotAVersion,
    Unchanged,
    Invalid {
        errors: FieldErrors,
        reason_error: Option<String>,
    },
    /// The values give a student number another student holds (found by
    /// the write, not by this pure judge: it reads the database).
    NumberTaken {
        number: StudentNumber,
        holder: Holder,
    },
}

/// Judges `act` over `current` as locked; `restored` is, for a restore,
/// the revision it names (`None`: the student never had that version).
pub fn judge(
    act: &Act<'_>,
    current: &Student,
    restored: Option<&Revision>,
    reason: &ReasonInput,
) -> Verdict {
    let seen = act.target().map_or(0, |(_, seen)| seen.get());
    let deleted = current.deleted_at.is_some();
    let stale = current.version != seen;
    let values = match act {
        Act::Create { values } => return judge_create(values),
        Act::Undelete { .. } => {
            return if stale {
                Verdict::Refuse(Refusal::Stale)
            } else if !deleted {
                Verdict::Refuse(Refusal::NotDeleted)
            } else {
                with_reason(Change::Undelete, reason)
            };
        }
        _ if deleted => return Verdict::Refuse(Refusal::Gone),
        Act::Delete { .. } if stale => return Verdict::Refuse(Refusal::Stale),
        Act::Delete { .. } => return with_reason(Change::Delete, reason),
        Act::Restore { .. } => match restored {
            // A version that never existed is refused, stale or not.
            None => return Verdict::Refuse(Refusal::NotAVersion),
            Some(_) if stale => return Verdict::Refuse(Refusal::Stale),
            Some(restored) => StudentForm::of(restored).parse(),
        },
        Act::Edit { .. } if stale => return Verdict::Refuse(Refusal::Stale),
        Act::Edit { values, .. } => values.parse_edit(current),
    };
    match (values, reason) {
        (Err(errors), reason) => Verdict::Refuse(Refusal::Invalid {
            errors,
            reason_error: reason.as_ref().err().cloned(),
        }),
        (Ok(_), Err(message)) => Verdict::Refuse(Refusal::Invalid {
            errors: FieldErrors::default(),
            reason_error: Some(message.clone()),
        }),
        (Ok(values), Ok(_)) if current.holds(&values) => Verdict::Refuse(Refusal::Unchanged),
        (Ok(values), Ok(reason)) => Verdict::Write(Change::Values(values), reason.clone()),
    }
}

/// A create has no row to judge: its values alone, before any lock.
pub fn judge_create(values: &StudentForm) -> Verdict {
    match values.parse() {
        Ok(values) => Verdict::Write(Change::Values(values), None),
        Err(errors) => Verdict::Refuse(Refusal::Invalid {
            errors,
            reason_error: None,
        }),
    }
}

fn with_reason(change: Change, reason: &ReasonInput) -> Verdict {
    match reason {
        Ok(reason) => Verdict::Write(change, reason.clone()),
        Err(message) => Verdict::Refuse(Refusal::Invalid {
            errors: FieldErrors::default(),
            reason_error: Some(message.clone()),
        }),
    }
}

/// What an import row that asks to write `values` over `version` of
/// `current` (`None`: no such student) would do (contract §6), given the
/// revision at `version` when the versions differ. The preview and the
/// confirm (under the lock) decide by this. A row that equals what is
/// stored, or what was there at its version (the registrar did not touch
/// it), is unchanged.
pub fn import_row(
    values: &StudentValues,
    version: Option<i64>,
    current: Option<&Student>,
    at_version: Option<&Revision>,
) -> RowOutcome {
    let Some(version) = version else {
        return RowOutcome::Create;
    };
    let Some(current) = current else {
        return RowOutcome::Unknown;
    };
    if version > current.version {
        // A version the record never had: not a stale copy of it, and the
        // record may reach it later with other values.
        return RowOutcome::Invalid;
    }
    if current.deleted_at.is_some() {
        return RowOutcome::Deleted;
    }
    if current.holds(values) {
        return RowOutcome::Unchanged;
    }
    if current.version == version {
        return RowOutcome::Update;
    }
    if at_version.is_some_and(|r| r.version == version && r.holds(values)) {
        return RowOutcome::Unchanged;
    }
    RowOutcome::Conflict
}

/// Whether judging an import row over `current` needs the revision at its
/// version.
pub fn needs_revision(values: &StudentValues, version: i64, current: &Student) -> bool {
    current.deleted_at.is_none() && current.version != version && !current.holds(values)
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
