//! Persistence of students, revisions and conflict entries, one at a time
//! (`bulk` inserts many at once): the only code besides `bulk` that writes
//! them. Functions that lock say so in their names, and every
//! write takes the transaction it belongs to.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::{conflict, revision, student, student_count};
use crate::domain::StudentFields;

pub type Student = student::Model;
pub type Revision = revision::Model;
pub type ConflictEntry = conflict::Model;

/// What a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Deleted,
    /// Created from a CSV import.
    Imported,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
            Action::Imported => "imported",
        }
    }
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Student>, DbErr> {
    student::Entity::find_by_id(id).one(db).await
}

/// Loads the student and locks its row until `txn` ends
/// (`SELECT … FOR UPDATE`; on SQLite the `IMMEDIATE` transaction from
/// [`crate::db::begin_write`] already holds the database's write lock).
pub async fn lock_for_update(txn: &DatabaseTransaction, id: i64) -> Result<Option<Student>, DbErr> {
    student::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
}

/// Whether `fields` are exactly what is stored.
pub fn is_unchanged(current: &Student, fields: &StudentFields) -> bool {
    current.name == fields.name.as_str()
        && current.address == fields.address.as_str()
        && current.gpa_hundredths == gpa_column(fields)
}

fn gpa_column(fields: &StudentFields) -> i16 {
    // At most 400, so it always fits.
    i16::try_from(fields.gpa.hundredths()).unwrap_or(i16::MAX)
}

/// Inserts a new student at version 1 with its "created" revision.
pub async fn insert(
    txn: &DatabaseTransaction,
    fields: &StudentFields,
    registrar: &str,
    at: DateTime<Utc>,
) -> Result<Student, DbErr> {
    adjust_live_count(txn, 1).await?;
    let student = student::ActiveModel {
        id: NotSet,
        name: Set(fields.name.to_string()),
        address: Set(fields.address.to_string()),
        gpa_hundredths: Set(gpa_column(fields)),
        search_key: Set(fields.search_key()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        updated_by: Set(registrar.to_owned()),
        deleted_at: Set(None),
        deleted_by: Set(None),
    }
    .insert(txn)
    .await?;
    insert_revision(txn, &student, Action::Created).await?;
    Ok(student)
}

/// Writes `fields` as version `current.version + 1`, guarded by
/// `WHERE id = ? AND version = ?`, and its "updated" revision.
///
/// Returns `false`, having written nothing, when the guard matched no row:
/// somebody else's change got in, whatever the lock did or did not hold.
pub async fn update_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    fields: &StudentFields,
    registrar: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = student::Entity::update_many()
        .col_expr(student::Column::Name, Expr::value(fields.name.to_string()))
        .col_expr(
            student::Column::Address,
            Expr::value(fields.address.to_string()),
        )
        .col_expr(
            student::Column::GpaHundredths,
            Expr::value(gpa_column(fields)),
        )
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
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    let after = Student {
        name: fields.name.to_string(),
        address: fields.address.to_string(),
        gpa_hundredths: gpa_column(fields),
        version: current.version + 1,
        updated_at: at,
        updated_by: registrar.to_owned(),
        ..current.clone()
    };
    insert_revision(txn, &after, Action::Updated).await?;
    Ok(true)
}

/// Marks the student deleted as version `current.version + 1` (the row stays,
/// so its id is never reused and its page can say who deleted it), guarded
/// like [`update_guarded`], with a "deleted" revision of the last values.
pub async fn delete_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    registrar: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = student::Entity::update_many()
        .col_expr(
            student::Column::Version,
            Expr::col(student::Column::Version).add(1),
        )
        .col_expr(student::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            student::Column::UpdatedBy,
            Expr::value(registrar.to_owned()),
        )
        .col_expr(student::Column::DeletedAt, Expr::value(Some(at)))
        .col_expr(
            student::Column::DeletedBy,
            Expr::value(Some(registrar.to_owned())),
        )
        .filter(student::Column::Id.eq(current.id))
        .filter(student::Column::Version.eq(current.version))
        .filter(student::Column::DeletedAt.is_null())
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    adjust_live_count(txn, -1).await?;
    let after = Student {
        version: current.version + 1,
        updated_at: at,
        updated_by: registrar.to_owned(),
        ..current.clone()
    };
    insert_revision(txn, &after, Action::Deleted).await?;
    Ok(true)
}

/// Keeps the live-student count exact: every create and delete moves it in
/// the transaction that makes the change.
pub async fn adjust_live_count(txn: &DatabaseTransaction, delta: i64) -> Result<(), DbErr> {
    student_count::Entity::update_many()
        .col_expr(
            student_count::Column::Live,
            Expr::col(student_count::Column::Live).add(delta),
        )
        .filter(student_count::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

async fn insert_revision(
    txn: &DatabaseTransaction,
    student: &Student,
    action: Action,
) -> Result<(), DbErr> {
    revision::Entity::insert(revision::ActiveModel {
        id: NotSet,
        student_id: Set(student.id),
        version: Set(student.version),
        action: Set(action.as_str().to_owned()),
        name: Set(student.name.clone()),
        address: Set(student.address.clone()),
        gpa_hundredths: Set(student.gpa_hundredths),
        registrar: Set(student.updated_by.clone()),
        at: Set(student.updated_at),
        reason: Set(None),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// A submission refused because its version was stale, as it was sent.
#[derive(Debug, Clone)]
pub struct RejectedSubmission<'a> {
    pub student_id: i64,
    pub attempted: &'static str,
    pub submitted_version: i64,
    pub current_version: i64,
    pub name: Option<&'a str>,
    pub address: Option<&'a str>,
    pub gpa: Option<&'a str>,
    pub registrar: &'a str,
}

/// Longest text kept of one rejected field (the form allows 64 KiB).
const KEPT_CHARS: usize = 2000;

/// Records a rejected submission in the student's history.
pub async fn record_conflict(
    db: &impl ConnectionTrait,
    rejected: RejectedSubmission<'_>,
) -> Result<(), DbErr> {
    // PostgreSQL text cannot hold U+0000: it is kept as the visible ␀.
    let keep = |value: Option<&str>| {
        value.map(|v| {
            v.chars()
                .take(KEPT_CHARS)
                .map(|c| if c == '\0' { '\u{2400}' } else { c })
                .collect::<String>()
        })
    };
    conflict::Entity::insert(conflict::ActiveModel {
        id: NotSet,
        student_id: Set(rejected.student_id),
        attempted: Set(rejected.attempted.to_owned()),
        submitted_version: Set(rejected.submitted_version),
        current_version: Set(rejected.current_version),
        name: Set(keep(rejected.name)),
        address: Set(keep(rejected.address)),
        gpa: Set(keep(rejected.gpa)),
        registrar: Set(rejected.registrar.to_owned()),
        at: Set(crate::db::now()),
        reason: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// One page of a student's revisions, newest first, plus the revision just
/// older than the page (when there is one) so the oldest can show its diff.
pub async fn revisions_page(
    db: &impl ConnectionTrait,
    id: i64,
    offset: u64,
    per_page: u64,
) -> Result<Vec<Revision>, DbErr> {
    revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .order_by_desc(revision::Column::Version)
        .offset(offset)
        .limit(per_page + 1)
        .all(db)
        .await
}

/// Conflict entries refused while the student was at versions
/// `from..=to`, oldest first.
pub async fn conflicts_at_versions(
    db: &impl ConnectionTrait,
    id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<ConflictEntry>, DbErr> {
    conflict::Entity::find()
        .filter(conflict::Column::StudentId.eq(id))
        .filter(conflict::Column::CurrentVersion.between(from, to))
        .order_by_asc(conflict::Column::Id)
        .all(db)
        .await
}

/// A registrar's own changes across all students, newest first, starting
/// below revision id `before` when given.
pub async fn changes_by(
    db: &impl ConnectionTrait,
    registrar: &str,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<(Revision, Option<Student>)>, DbErr> {
    let mut select = revision::Entity::find().filter(revision::Column::Registrar.eq(registrar));
    if let Some(before) = before {
        select = select.filter(revision::Column::Id.lt(before));
    }
    let revisions = select
        .order_by_desc(revision::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = revisions.iter().map(|r| r.student_id).collect();
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(revisions
        .into_iter()
        .map(|r| {
            let s = students.iter().find(|s| s.id == r.student_id).cloned();
            (r, s)
        })
        .collect())
}
