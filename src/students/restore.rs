//! Acting on history (SPEC §7): bringing back an earlier version's values,
//! and a deleted student. Both are edits of the protocol of §2: one write
//! transaction, the row locked, the version compared, the write guarded by
//! `WHERE id = ? AND version = ?`, one revision in the same transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter,
};

use super::form::{FieldErrors, StudentForm};
use super::store::{self, Revision, Student};
use crate::db::entities::{revision, student};
use crate::db::{begin_write, now};
use crate::domain::{Reason, StudentFields};
use crate::error::AppError;

/// What became of a restore submission.
#[derive(Debug)]
pub enum RestoreOutcome {
    /// Committed as the next version, with the values of `from`.
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
    reason: Result<Option<Reason>, String>,
    registrar: &str,
) -> Result<RestoreOutcome, AppError> {
    let txn = begin_write(db).await?;
    let current = store::lock_for_update(&txn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let outcome = match judge(&txn, current, seen_version, revision, reason).await? {
        Judgement::Write(current, fields, reason) => {
            if restore_guarded(&txn, &current, &fields, reason.as_ref(), registrar, now()).await? {
                txn.commit().await?;
                return Ok(RestoreOutcome::Restored { from: revision });
            }
            // The guard matched no row although the lock was held.
            let current = store::lock_for_update(&txn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            match version_of(&txn, id, revision).await? {
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
/// stale (it will never exist); a stale page is a conflict even if the
/// reason is also invalid.
async fn judge(
    txn: &DatabaseTransaction,
    current: Student,
    seen_version: i64,
    revision: i64,
    reason: Result<Option<Reason>, String>,
) -> Result<Judgement, DbErr> {
    if current.deleted_at.is_some() {
        return Ok(Judgement::Refuse(RestoreOutcome::Gone { current }));
    }
    let Some(restored) = version_of(txn, current.id, revision).await? else {
        return Ok(Judgement::Refuse(RestoreOutcome::NotAVersion));
    };
    if current.version != seen_version {
        return Ok(Judgement::Refuse(RestoreOutcome::Stale {
            current,
            restored,
        }));
    }
    let reason = match reason {
        Ok(reason) => reason,
        Err(message) => {
            let errors = FieldErrors::single("reason", message);
            return Ok(Judgement::Refuse(RestoreOutcome::Invalid {
                errors,
                current,
            }));
        }
    };
    let fields = match values_of(&restored).parse() {
        Ok(fields) => fields,
        Err(errors) => {
            return Ok(Judgement::Refuse(RestoreOutcome::Invalid {
                errors,
                current,
            }));
        }
    };
    if store::is_unchanged(&current, &fields) {
        return Ok(Judgement::Refuse(RestoreOutcome::Unchanged));
    }
    Ok(Judgement::Write(current, fields, reason))
}

/// The revision's values as a form would carry them.
pub fn values_of(revision: &Revision) -> StudentForm {
    StudentForm {
        name: revision.name.clone(),
        address: revision.address.clone(),
        gpa: super::conflict::gpa_text(revision.gpa_hundredths),
    }
}

/// Version `version` of student `id`, if it has one.
async fn version_of(
    txn: &DatabaseTransaction,
    id: i64,
    version: i64,
) -> Result<Option<Revision>, DbErr> {
    revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Version.eq(version))
        .one(txn)
        .await
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
    Invalid {
        errors: FieldErrors,
        current: Student,
    },
}

/// Brings a deleted student back under the same id as the next version,
/// if it is still at `seen_version` (the version of its delete).
pub async fn undelete(
    db: &DatabaseConnection,
    id: i64,
    seen_version: i64,
    reason: Result<Option<Reason>, String>,
    registrar: &str,
) -> Result<UndeleteOutcome, AppError> {
    let txn = begin_write(db).await?;
    let current = store::lock_for_update(&txn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let outcome = if current.version != seen_version {
        UndeleteOutcome::Stale { current }
    } else if current.deleted_at.is_none() {
        UndeleteOutcome::NotDeleted { current }
    } else {
        match reason {
            Err(message) => UndeleteOutcome::Invalid {
                errors: FieldErrors::single("reason", message),
                current,
            },
            Ok(reason) => {
                if undelete_guarded(&txn, &current, reason.as_ref(), registrar, now()).await? {
                    txn.commit().await?;
                    return Ok(UndeleteOutcome::Undeleted);
                }
                let current = store::lock_for_update(&txn, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                UndeleteOutcome::Stale { current }
            }
        }
    };
    txn.rollback().await?;
    Ok(outcome)
}

/// Writes `fields` as version `current.version + 1` of the live student,
/// guarded by `WHERE id = ? AND version = ? AND deleted_at IS NULL`, with a
/// "restored" revision. `false`, nothing written, when the guard missed.
async fn restore_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    fields: &StudentFields,
    reason: Option<&Reason>,
    registrar: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let gpa = i16::try_from(fields.gpa.hundredths()).unwrap_or(i16::MAX);
    let written = student::Entity::update_many()
        .col_expr(student::Column::Name, Expr::value(fields.name.to_string()))
        .col_expr(
            student::Column::Address,
            Expr::value(fields.address.to_string()),
        )
        .col_expr(student::Column::GpaHundredths, Expr::value(gpa))
        .col_expr(student::Column::SearchKey, Expr::value(fields.search_key()))
        .col_expr(
            student::Column::Version,
            Expr::col(student::Column::Version).add(1),
        )
        .col_expr(student::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            student::Column::UpdatedBy,
            Expr::value(registrar.to_owned()),
        )
        .filter(student::Column::Id.eq(current.id))
        .filter(student::Column::Version.eq(current.version))
        .filter(student::Column::DeletedAt.is_null())
        .exec(txn)
        .await?;
    if written.rows_affected != 1 {
        return Ok(false);
    }
    let after = Student {
        name: fields.name.to_string(),
        address: fields.address.to_string(),
        gpa_hundredths: gpa,
        version: current.version + 1,
        updated_at: at,
        updated_by: registrar.to_owned(),
        ..current.clone()
    };
    insert_revision(txn, &after, "restored", reason).await?;
    Ok(true)
}

/// Clears the deletion as version `current.version + 1`, guarded by
/// `WHERE id = ? AND version = ? AND deleted_at IS NOT NULL`; the student
/// counts as live again; an "undeleted" revision of its values.
async fn undelete_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    reason: Option<&Reason>,
    registrar: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let written = student::Entity::update_many()
        .col_expr(
            student::Column::Version,
            Expr::col(student::Column::Version).add(1),
        )
        .col_expr(student::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            student::Column::UpdatedBy,
            Expr::value(registrar.to_owned()),
        )
        .col_expr(
            student::Column::DeletedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(student::Column::DeletedBy, Expr::value(None::<String>))
        .filter(student::Column::Id.eq(current.id))
        .filter(student::Column::Version.eq(current.version))
        .filter(student::Column::DeletedAt.is_not_null())
        .exec(txn)
        .await?;
    if written.rows_affected != 1 {
        return Ok(false);
    }
    store::adjust_live_count(txn, 1).await?;
    let after = Student {
        version: current.version + 1,
        updated_at: at,
        updated_by: registrar.to_owned(),
        deleted_at: None,
        deleted_by: None,
        ..current.clone()
    };
    insert_revision(txn, &after, "undeleted", reason).await?;
    Ok(true)
}

async fn insert_revision(
    txn: &DatabaseTransaction,
    student: &Student,
    action: &str,
    reason: Option<&Reason>,
) -> Result<(), DbErr> {
    revision::Entity::insert(revision::ActiveModel {
        id: NotSet,
        student_id: Set(student.id),
        version: Set(student.version),
        action: Set(action.to_owned()),
        name: Set(student.name.clone()),
        address: Set(student.address.clone()),
        gpa_hundredths: Set(student.gpa_hundredths),
        registrar: Set(student.updated_by.clone()),
        at: Set(student.updated_at),
        reason: Set(reason.map(|r| r.to_string())),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
