//! The edit protocol (docs/contract.md): every change to a student is one
//! write transaction that locks the row, compares the version the
//! registrar saw with the stored one, and writes only over the version it
//! saw. Each outcome carries the row as the protocol found it under the
//! lock, so nobody reads it again to explain the outcome.

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use crate::cluster::failure::{self, Failure, HasFailure};
use crate::cluster::retry;
use crate::cluster::submission::{self, Submission};

use super::form::StudentForm;
use super::store::{self, Action, Author, Student};
use crate::auth::roles::{self, Role, WriteRefused};
use crate::db::entities::student::gpa_column;
use crate::db::{self, begin_write, now};
use crate::domain::{FieldErrors, Reason, StudentFields};
use crate::error::AppError;
use crate::presence;

/// Why the protocol could not decide: shared by every path that writes.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// No student was ever created with this id.
    #[error("no such student")]
    NotFound,
    /// The row lock or the database did not answer in time: nothing was
    /// written, and the same submission may be sent again.
    #[error("busy: {0}")]
    Busy(DbErr),
    /// The writer's role no longer allows the write (contract §9).
    #[error("not allowed for the {0} role")]
    NotAllowed(Role),
    /// The writer's account was disabled.
    #[error("the account is not enabled")]
    NotEnabled,
    /// The connection was lost while `COMMIT` was on its way: the write
    /// may or may not have committed (contract §10). Never answered
    /// "saved" or "not saved" on a guess.
    #[error("commit outcome unknown: {0}")]
    CommitUnknown(DbErr),
    #[error("database error: {0}")]
    Database(DbErr),
}

impl HasFailure for ProtocolError {
    fn failure(&self) -> Failure {
        match self {
            ProtocolError::Busy(err) | ProtocolError::Database(err) => failure::classify(err),
            ProtocolError::CommitUnknown(_) => Failure::CommitUnknown,
            _ => Failure::Other,
        }
    }
}

/// Commits a write: a connection lost on the way leaves the outcome
/// unknown; an abort at commit (a Galera certification failure) committed
/// nothing and may be retried.
pub(super) async fn commit(txn: DatabaseTransaction) -> Result<(), ProtocolError> {
    txn.commit()
        .await
        .map_err(|err| match failure::classify_commit(&err) {
            Failure::CommitUnknown => ProtocolError::CommitUnknown(err),
            _ => err.into(),
        })
}

impl From<WriteRefused> for ProtocolError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Role(role) => ProtocolError::NotAllowed(role),
            WriteRefused::NotEnabled => ProtocolError::NotEnabled,
            WriteRefused::Database(err) => err.into(),
        }
    }
}

impl From<DbErr> for ProtocolError {
    fn from(err: DbErr) -> Self {
        if db::is_unavailable(&err) {
            ProtocolError::Busy(err)
        } else {
            ProtocolError::Database(err)
        }
    }
}

impl From<ProtocolError> for AppError {
    fn from(err: ProtocolError) -> Self {
        match err {
            ProtocolError::NotFound => AppError::NotFound,
            ProtocolError::Busy(err) | ProtocolError::CommitUnknown(err) => {
                AppError::Unavailable(err)
            }
            ProtocolError::NotAllowed(role) => AppError::NotAllowed(role),
            ProtocolError::NotEnabled => AppError::SignedOut,
            ProtocolError::Database(err) => AppError::Database(err),
        }
    }
}

/// What became of an edit submission.
#[derive(Debug)]
pub enum EditOutcome {
    /// Committed as the next version.
    Saved,
    /// Every value equals the stored one: nothing was written.
    Unchanged,
    /// The version matched but some value (or the reason) is invalid:
    /// nothing was written.
    Invalid {
        errors: FieldErrors,
        reason_error: Option<String>,
        current: Student,
    },
    /// Somebody else's change got in after the form was opened.
    Stale { current: Student },
    /// The student was deleted after the form was opened.
    DeletedMeanwhile { current: Student },
}

/// Applies an edit submitted from a form opened at `seen_version`; a
/// transaction the database aborted runs again whole ([`retry::write`]).
/// A `submission` that already committed answers [`EditOutcome::Saved`]
/// and writes nothing.
pub async fn edit(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    form: &StudentForm,
    reason: &ReasonInput,
    registrar: &str,
    submission: Option<&Submission>,
) -> Result<EditOutcome, ProtocolError> {
    let once = |check| {
        retry::write("edit", move || {
            edit_once(
                db,
                id,
                seen_version,
                form,
                reason,
                registrar,
                submission,
                check,
            )
        })
    };
    match once(SubmissionCheck::WhenVersionMoved).await {
        // The id already went with another change (a client that sends one
        // id with several forms): judged again as a change of its own.
        Err(ProtocolError::Database(err)) if submission.is_some() && is_unique_violation(&err) => {
            once(SubmissionCheck::Always).await
        }
        outcome => outcome,
    }
}

/// When an edit looks its submission id up among the committed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubmissionCheck {
    /// Only when the record moved past the form's version: a submission
    /// that committed moved it (to `seen_version + 1`), so a record still at
    /// the form's version has not seen this submission, and the lookup (a
    /// round trip) is skipped on every ordinary save. Should the id have
    /// gone with a change of another record, the revision's unique
    /// submission refuses the insert and the edit runs again with
    /// [`SubmissionCheck::Always`].
    WhenVersionMoved,
    Always,
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[allow(clippy::too_many_arguments)]
async fn edit_once(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    form: &StudentForm,
    reason: &ReasonInput,
    registrar: &str,
    submission: Option<&Submission>,
    check: SubmissionCheck,
) -> Result<EditOutcome, ProtocolError> {
    let txn = begin_write(db).await?;
    let current = locked(&txn, id).await?;
    let writer = may_write(&txn, registrar).await?;
    let unseen = check == SubmissionCheck::WhenVersionMoved && current.version == seen_version;
    let submission = match already_committed(&txn, submission.filter(|_| !unseen)).await? {
        Some(committed) if committed.student_id == id && is_replay(&committed, form) => {
            txn.rollback().await?;
            return Ok(EditOutcome::Saved);
        }
        // The id with other values (or another record's) is another change.
        Some(_) => None,
        None => submission,
    };
    let parsed = form.parse_edit(&current);
    let outcome = match judge(current, seen_version, parsed, reason) {
        Judgement::Write(current, fields, reason) => {
            let author = Author {
                registrar,
                at: now(),
                reason: reason.as_ref(),
                submission,
            };
            if store::update_guarded(&txn, &current, &fields, Action::Updated, &author).await? {
                presence::store::clear_in(&txn, writer.id, id).await?;
                commit(txn).await?;
                return Ok(EditOutcome::Saved);
            }
            let current = read_again(&txn, id).await?;
            if current.deleted_at.is_some() {
                EditOutcome::DeletedMeanwhile { current }
            } else {
                EditOutcome::Stale { current }
            }
        }
        Judgement::Refuse(outcome) => outcome,
    };
    txn.rollback().await?;
    Ok(outcome)
}

enum Judgement {
    Write(Student, StudentFields, Option<Reason>),
    Refuse(EditOutcome),
}

/// The decision, made under the lock; the order matters: a stale form is a
/// conflict even if its values are also invalid.
fn judge(
    current: Student,
    seen_version: i64,
    parsed: Result<StudentFields, FieldErrors>,
    reason: &ReasonInput,
) -> Judgement {
    if current.deleted_at.is_some() {
        return Judgement::Refuse(EditOutcome::DeletedMeanwhile { current });
    }
    if current.version != seen_version {
        return Judgement::Refuse(EditOutcome::Stale { current });
    }
    match (parsed, reason) {
        (Err(errors), reason) => Judgement::Refuse(EditOutcome::Invalid {
            errors,
            reason_error: reason.as_ref().err().cloned(),
            current,
        }),
        (Ok(_), Err(reason_error)) => Judgement::Refuse(EditOutcome::Invalid {
            errors: FieldErrors::default(),
            reason_error: Some(reason_error.clone()),
            current,
        }),
        (Ok(fields), Ok(_)) if store::is_unchanged(&current, &fields) => {
            Judgement::Refuse(EditOutcome::Unchanged)
        }
        (Ok(fields), Ok(reason)) => Judgement::Write(current, fields, reason.clone()),
    }
}

/// What became of a delete submission.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// Somebody else's change got in after the page was opened.
    Stale {
        current: Student,
    },
    AlreadyDeleted {
        current: Student,
    },
    /// The reason is invalid: nothing was written.
    Invalid {
        reason_error: String,
        current: Student,
    },
}

/// Deletes the student if it is still at `seen_version`.
pub async fn delete(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    reason: &ReasonInput,
    registrar: &str,
) -> Result<DeleteOutcome, ProtocolError> {
    retry::write("delete", || {
        delete_once(db, id, seen_version, reason, registrar)
    })
    .await
}

async fn delete_once(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    reason: &ReasonInput,
    registrar: &str,
) -> Result<DeleteOutcome, ProtocolError> {
    let txn = begin_write(db).await?;
    let current = locked(&txn, id).await?;
    let writer = may_write(&txn, registrar).await?;
    let outcome = if current.deleted_at.is_some() {
        DeleteOutcome::AlreadyDeleted { current }
    } else if current.version != seen_version {
        DeleteOutcome::Stale { current }
    } else if let Err(reason_error) = reason {
        DeleteOutcome::Invalid {
            reason_error: reason_error.clone(),
            current,
        }
    } else if store::delete_guarded(
        &txn,
        &current,
        &Author {
            registrar,
            at: now(),
            reason: reason.as_ref().ok().and_then(Option::as_ref),
            submission: None,
        },
    )
    .await?
    {
        presence::store::clear_in(&txn, writer.id, id).await?;
        commit(txn).await?;
        return Ok(DeleteOutcome::Deleted);
    } else {
        let current = read_again(&txn, id).await?;
        if current.deleted_at.is_some() {
            DeleteOutcome::AlreadyDeleted { current }
        } else {
            DeleteOutcome::Stale { current }
        }
    };
    txn.rollback().await?;
    Ok(outcome)
}

/// Creates a student at version 1; returns its id. A `submission` that
/// already committed returns the student it created, creating none.
pub async fn create(
    db: &DatabaseConnection,
    fields: &StudentFields,
    registrar: &str,
    submission: Option<&Submission>,
) -> Result<i64, ProtocolError> {
    retry::write("create", || create_once(db, fields, registrar, submission)).await
}

async fn create_once(
    db: &DatabaseConnection,
    fields: &StudentFields,
    registrar: &str,
    submission: Option<&Submission>,
) -> Result<i64, ProtocolError> {
    let txn = begin_write(db).await?;
    may_write(&txn, registrar).await?;
    let submission = match already_committed(&txn, submission).await? {
        Some(committed) if committed.action == Action::Created && is_same(&committed, fields) => {
            txn.rollback().await?;
            return Ok(committed.student_id);
        }
        Some(_) => None,
        None => submission,
    };
    let student = store::insert(&txn, fields, registrar, now(), submission).await?;
    commit(txn).await?;
    Ok(student.id)
}

/// Whether `form` sends again the values `committed` wrote: the same
/// submission, not another change made with its id.
fn is_replay(committed: &submission::Committed, form: &StudentForm) -> bool {
    form.parse().is_ok_and(|fields| is_same(committed, &fields))
}

fn is_same(committed: &submission::Committed, fields: &StudentFields) -> bool {
    committed.name == fields.name.as_str()
        && committed.address == fields.address.as_str()
        && committed.gpa_hundredths == gpa_column(fields.gpa)
}

/// What `submission` committed earlier, if it did: a form sent again is
/// never applied twice.
async fn already_committed(
    txn: &DatabaseTransaction,
    submission: Option<&Submission>,
) -> Result<Option<submission::Committed>, ProtocolError> {
    match submission {
        Some(submission) => Ok(submission::committed(txn, submission).await?),
        None => Ok(None),
    }
}

/// A submitted `reason`, parsed: none given, a valid one, or why not.
pub type ReasonInput = Result<Option<Reason>, String>;
/// The writer may still change records (contract §9): checked inside the write
/// transaction, after the row lock, so a demotion or disable committed while
/// the write waited is seen.
pub(super) async fn may_write(
    txn: &DatabaseTransaction,
    registrar: &str,
) -> Result<roles::Writer, ProtocolError> {
    Ok(roles::recheck_named(txn, registrar, Role::Registrar).await?)
}

/// The student, locked until `txn` ends.
pub(super) async fn locked(txn: &DatabaseTransaction, id: i64) -> Result<Student, ProtocolError> {
    store::lock_for_update(txn, id)
        .await?
        .ok_or(ProtocolError::NotFound)
}

/// The student as it is now, after the guard matched no row although the
/// lock was held (a lock that holds nothing, as on a lagging cluster
/// node): the page that explains the refusal shows what got in.
pub(super) async fn read_again(
    txn: &DatabaseTransaction,
    id: i64,
) -> Result<Student, ProtocolError> {
    locked(txn, id).await
}
