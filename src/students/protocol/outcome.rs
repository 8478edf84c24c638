//! What became of a command.

use crate::domain::{Field, FieldErrors, StudentNumber};
use crate::students::store::numbers::Holder;
use crate::students::store::{Revision, Student};

/// What became of a [`super::Command`]. Every refusal carries the row as
/// the core found it under the lock, so nobody reads it again to explain
/// the refusal.
#[derive(Debug)]
pub enum Outcome {
    /// Committed: the student as the write left it (a create: version 1).
    Written { student: Student },
    /// The command's submission had committed already (a form sent again,
    /// or a commit whose connection was cut): nothing was written again.
    Replayed { student_id: i64 },
    /// Every value equals the stored one: nothing was written.
    Unchanged { current: Student },
    /// The version matched (or there is none: a create) but a value or the
    /// reason breaks the rules: nothing was written.
    Invalid {
        errors: FieldErrors,
        reason_error: Option<String>,
        current: Option<Student>,
        /// The student that holds the number the values give, when that
        /// is what broke the rules (contract §12).
        taken: Option<Holder>,
    },
    /// Somebody else's change got in after the client saw `seen`: `since`
    /// is the revision at `seen` and the ones after it (the newest ones of
    /// a long history); `restored`, for a restore, the version whose values
    /// were asked for. Kept as a conflict entry.
    Stale {
        current: Student,
        since: Vec<Revision>,
        restored: Option<Revision>,
    },
    /// The student is deleted (meanwhile, already, or before a restore).
    Gone { current: Student },
    /// An undelete of a student that is not deleted; as [`Outcome::Stale`].
    NotDeleted {
        current: Student,
        since: Vec<Revision>,
    },
    /// A restore of a version the student never had.
    NotAVersion,
}

impl Outcome {
    /// [`Outcome::Invalid`] for a student number that `holder` has.
    pub fn number_taken(number: &StudentNumber, holder: Holder, current: Option<Student>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(
            Field::Number,
            format!(
                "{number} is already the student number of {} (record {}{}): \
                 a number belongs to one student",
                holder.name,
                holder.id,
                if holder.deleted { ", deleted" } else { "" }
            ),
        );
        Outcome::Invalid {
            errors,
            reason_error: None,
            current,
            taken: Some(holder),
        }
    }

    /// Whether the command's write is in the database (now, or earlier).
    pub fn is_written(&self) -> bool {
        matches!(self, Outcome::Written { .. } | Outcome::Replayed { .. })
    }
}
