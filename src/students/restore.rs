//! Acting on history (contract §7): bringing back an earlier version's values,
//! and a deleted student. Both are edits of the protocol of §2: one write
//! transaction, the row locked, the version compared, the write guarded by
//! `WHERE id = ? AND version = ?`, one revision in the same transaction.

use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::form::StudentForm;
use super::protocol::{ProtocolError, ReasonInput, commit, locked, may_write, read_again};
use super::store::{self, Action, Author, Revision, Student, revisions};
use crate::cluster::retry;
use crate::db::{begin_write, now};
use crate::domain::{FieldErrors, Reason, StudentFields};

/// What became of a restore submission.
#[derive(Debug)]
pub enum RestoreOutcome {
    /// Committed as the next version, with the values of version `from`.
    Restored { from: i64 },
    /// The values of that version are the current ones: nothing written.
    Unchanged,
    /// Somebody else's change got in after the page was opened; `restored`
    /// is the revision whose values the registrar asked for.
    Stale {
        current: Student,
        restored: Revision,
    },
    /// The student is deleted: undelete it first.
    Gone { current: Student },
    /// `revision` is not a version of this student.
    NotAVersion,
    /// The version's values break today's rules (they were stored before
    /// a rule was tightened), or the reason is invalid: nothing written.
    Invalid {
        errors: FieldErrors,
        reason_error: Option<String>,
        current: Student,
    },
}

/// Brings back the values of version `revision` as the next version of
/// student `id`, if it is still at `seen_version`.
pub async fn restore(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    revision: i64,
    reason: &ReasonInput,
    registrar: &str,
) -> Result<RestoreOutcome, ProtocolError> {
    retry::write("restore", || {
        restore_once(db, id, seen_version, revision, reason, registrar)
    })
    .await
}

async fn restore_once(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    revision: i64,
    reason: &ReasonInput,
    registrar: &str,
) -> Result<RestoreOutcome, ProtocolError> {
    let txn = begin_write(db).await?;
    let current = locked(&txn, id).await?;
    let writer = may_write(&txn, registrar).await?;
    let outcome = match judge(&txn, current, seen_version, revision, reason).await? {
        Judgement::Write(current, fields, reason) => {
            let author = Author {
                registrar,
                at: now(),
                reason: reason.as_ref(),
                submission: None,
            };
            if store::update_guarded(&txn, &current, &fields, Action::Restored, &author).await? {
                crate::presence::store::clear_in(&txn, writer.id, id).await?;
                commit(txn).await?;
                return Ok(RestoreOutcome::Restored { from: revision });
            }
            // The guard matched no row although the lock was held.
            let current = read_again(&txn, id).await?;
            match revisions::at_version(&txn, id, revision).await? {
                _ if current.deleted_at.is_some() => RestoreOutcome::Gone { current },
                Some(restored) => RestoreOutcome::Stale { current, restored },
                None => RestoreOutcome::NotAVersion,
            }
        }
        Judgement::Refuse(outcome) => outcome,
    };
    txn.rollback().await?;
    Ok(outcome)
}

enum Judgement {
    Write(Student, StudentFields, Option<Reason>),
    Refuse(RestoreOutcome),
}

/// The decision, under the lock. A deleted student is gone whatever else;
/// a version that never existed is refused whether or not the page is
/// stale (it never will exist); a stale page is a conflict even if the
/// reason is also invalid.
async fn judge(
    txn: &DatabaseTransaction,
    current: Student,
    seen_version: i64,
    revision: i64,
    reason: &ReasonInput,
) -> Result<Judgement, ProtocolError> {
    if current.deleted_at.is_some() {
        return Ok(Judgement::Refuse(RestoreOutcome::Gone { current }));
    }
    let Some(restored) = revisions::at_version(txn, current.id, revision).await? else {
        return Ok(Judgement::Refuse(RestoreOutcome::NotAVersion));
    };
    if current.version != seen_version {
        return Ok(Judgement::Refuse(RestoreOutcome::Stale {
            current,
            restored,
        }));
    }
    let parsed = StudentForm::from(&restored).parse();
    let refuse = |errors, reason_error| {
        Ok(Judgement::Refuse(RestoreOutcome::Invalid {
            errors,
            reason_error,
            current: current.clone(),
        }))
    };
    match (parsed, reason) {
        (Err(errors), reason) => refuse(errors, reason.as_ref().err().cloned()),
        (Ok(_), Err(message)) => refuse(FieldErrors::default(), Some(message.clone())),
        (Ok(fields), Ok(_)) if store::is_unchanged(&current, &fields) => {
            Ok(Judgement::Refuse(RestoreOutcome::Unchanged))
        }
        (Ok(fields), Ok(reason)) => Ok(Judgement::Write(current, fields, reason.clone())),
    }
}

/// What became of an undelete submission.
#[derive(Debug)]
pub enum UndeleteOutcome {
    /// Live again, as the next version.
    Undeleted,
    /// Somebody else's change (an undelete, say) got in first.
    Stale { current: Student },
    /// The student is not deleted.
    NotDeleted { current: Student },
    /// The reason is invalid: nothing written.
    Invalid {
        reason_error: String,
        current: Student,
    },
}

/// Brings a deleted student back under the same id as the next version,
/// if it is still at `seen_version` (the version of its delete).
pub async fn undelete(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    reason: &ReasonInput,
    registrar: &str,
) -> Result<UndeleteOutcome, ProtocolError> {
    retry::write("undelete", || {
        undelete_once(db, id, seen_version, reason, registrar)
    })
    .await
}

async fn undelete_once(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    reason: &ReasonInput,
    registrar: &str,
) -> Result<UndeleteOutcome, ProtocolError> {
    let txn = begin_write(db).await?;
    let current = locked(&txn, id).await?;
    may_write(&txn, registrar).await?;
    let outcome = if current.version != seen_version {
        UndeleteOutcome::Stale { current }
    } else if current.deleted_at.is_none() {
        UndeleteOutcome::NotDeleted { current }
    } else {
        match reason {
            Err(message) => UndeleteOutcome::Invalid {
                reason_error: message.clone(),
                current,
            },
            Ok(reason) => {
                let author = Author {
                    registrar,
                    at: now(),
                    reason: reason.as_ref(),
                    submission: None,
                };
                if store::undelete_guarded(&txn, &current, &author).await? {
                    commit(txn).await?;
                    return Ok(UndeleteOutcome::Undeleted);
                }
                UndeleteOutcome::Stale {
                    current: read_again(&txn, id).await?,
                }
            }
        }
    };
    txn.rollback().await?;
    Ok(outcome)
}
