//! The edit protocol (SPEC §2): every change to a student is one write
//! transaction that locks the row, compares the version the registrar saw
//! with the stored one, and writes only over the version it saw.

use sea_orm::DatabaseConnection;

use super::form::{FieldErrors, StudentForm};
use super::store::{self, Student};
use crate::auth::roles::{self, Role};
use crate::db::{begin_write, now};
use crate::domain::StudentFields;
use crate::error::AppError;

/// What became of an edit submission.
#[derive(Debug)]
pub enum EditOutcome {
    /// Committed as the next version.
    Saved,
    /// Every value equals the stored one: nothing was written.
    Unchanged,
    /// The version matched but some value is invalid: nothing was written.
    Invalid(FieldErrors),
    /// Somebody else's change got in after the form was opened.
    Stale,
    /// The student was deleted after the form was opened.
    DeletedMeanwhile,
}

/// Applies an edit submitted from a form opened at `seen_version`.
///
/// `Err(AppError::NotFound)` if no such student was ever created.
pub async fn edit(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    form: &StudentForm,
    registrar: &str,
) -> Result<EditOutcome, AppError> {
    let parsed = form.parse();
    let txn = begin_write(db).await?;
    let current = store::lock_for_update(&txn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // After the row lock: a demotion committed while this write waited
    // for it is seen.
    roles::recheck_named(&txn, registrar, Role::Registrar).await?;

    let outcome = match judge(&current, seen_version, parsed) {
        Judgement::Write(fields) => {
            if store::update_guarded(&txn, &current, &fields, registrar, now()).await? {
                txn.commit().await?;
                return Ok(EditOutcome::Saved);
            }
            EditOutcome::Stale
        }
        Judgement::Refuse(outcome) => outcome,
    };
    txn.rollback().await?;
    Ok(outcome)
}

enum Judgement {
    Write(StudentFields),
    Refuse(EditOutcome),
}

/// The decision, made under the lock; the order matters: a stale form is a
/// conflict even if its values are also invalid.
fn judge(
    current: &Student,
    seen_version: i64,
    parsed: Result<StudentFields, FieldErrors>,
) -> Judgement {
    if current.deleted_at.is_some() {
        return Judgement::Refuse(EditOutcome::DeletedMeanwhile);
    }
    if current.version != seen_version {
        return Judgement::Refuse(EditOutcome::Stale);
    }
    match parsed {
        Err(errors) => Judgement::Refuse(EditOutcome::Invalid(errors)),
        Ok(fields) if store::is_unchanged(current, &fields) => {
            Judgement::Refuse(EditOutcome::Unchanged)
        }
        Ok(fields) => Judgement::Write(fields),
    }
}

/// What became of a delete submission.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    Stale,
    AlreadyDeleted,
}

/// Deletes the student if it is still at `seen_version`.
pub async fn delete(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    registrar: &str,
) -> Result<DeleteOutcome, AppError> {
    let txn = begin_write(db).await?;
    let current = store::lock_for_update(&txn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    roles::recheck_named(&txn, registrar, Role::Registrar).await?;
    let outcome = if current.deleted_at.is_some() {
        DeleteOutcome::AlreadyDeleted
    } else if current.version != seen_version {
        DeleteOutcome::Stale
    } else if store::delete_guarded(&txn, &current, registrar, now()).await? {
        txn.commit().await?;
        return Ok(DeleteOutcome::Deleted);
    } else {
        DeleteOutcome::Stale
    };
    txn.rollback().await?;
    Ok(outcome)
}

/// Creates a student at version 1; returns its id.
pub async fn create(
    db: &DatabaseConnection,
    fields: &StudentFields,
    registrar: &str,
) -> Result<i64, AppError> {
    let txn = begin_write(db).await?;
    roles::recheck_named(&txn, registrar, Role::Registrar).await?;
    let student = store::insert(&txn, fields, registrar, now()).await?;
    txn.commit().await?;
    Ok(student.id)
}
