//! Revision rows: one per committed change, written in its transaction,
//! and the queries that read a student's history (the office's change
//! log reads them in [`crate::students::changes`]).

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::columns::{self, Columns};
use super::rows::{Action, Author, Revision, Student};
use crate::db::entities::revision;
use crate::domain::Reason;

/// `after` (the student as a change of `action` leaves it) with its chain
/// head moved on: the hash of the new revision over `previous`, the
/// chain head of the row the change was guarded by (contract §15). The
/// revision written for `after` stores this hash.
pub fn chained(after: Student, action: Action, reason: Option<&Reason>, previous: &str) -> Student {
    let word = action.to_string();
    let reason = reason.map(Reason::as_str);
    let hash = columns::chained(&after, &word, reason).hash(previous);
    Student {
        chain_head: hash,
        ..after
    }
}

/// Records `student` (as it is after the change, its chain head the
/// revision's hash: see [`chained`]) as a revision of `action` by
/// `author`: its reason, and the form submission or import that made it.
pub async fn insert(
    txn: &DatabaseTransaction,
    student: &Student,
    action: Action,
    author: &Author<'_>,
) -> Result<(), DbErr> {
    revision::Entity::insert(model(student, action, author.reason, author))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Records each of `students` (as it is after its change, chained) as a revision of
/// `action` by `author`, with no reason, in one statement.
pub async fn insert_many(
    txn: &DatabaseTransaction,
    students: &[Student],
    action: Action,
    author: &Author<'_>,
) -> Result<(), DbErr> {
    if students.is_empty() {
        return Ok(());
    }
    revision::Entity::insert_many(
        students
            .iter()
            .map(|student| model(student, action, None, author)),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The revision of `student` as it is after a change of `action`.
pub(super) fn model(
    student: &Student,
    action: Action,
    reason: Option<&Reason>,
    author: &Author<'_>,
) -> revision::ActiveModel {
    let mut model = revision::ActiveModel {
        id: NotSet,
        student_id: Set(student.id),
        version: Set(student.version),
        action: Set(action),
        registrar: Set(student.updated_by.clone()),
        at: Set(student.updated_at),
        reason: Set(reason.map(|r| r.to_string())),
        submission: Set(author.submission.map(|s| s.as_str().to_owned())),
        import_id: Set(author.import.map(str::to_owned)),
        // What the chain hashed (main's `Columns` sets it too, alike).
        confidential: Set(student.confidential),
        hash: Set(student.chain_head.clone()),
        ..Default::default()
    };
    Columns::stored(student).set_revision(&mut model);
    model
}

/// One page of a student's revisions, newest first, plus the revision just
/// older than the page (when there is one) so the oldest can show its diff.
pub async fn page(
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

/// Up to `count` of a student's revisions older than version `before`
/// (all, without it), newest first: a page of the API's history read from
/// the `(student, version)` index, however long the history.
pub async fn older(
    db: &impl ConnectionTrait,
    id: i64,
    before: Option<i64>,
    count: u64,
) -> Result<Vec<Revision>, DbErr> {
    let mut select = revision::Entity::find().filter(revision::Column::StudentId.eq(id));
    if let Some(before) = before {
        select = select.filter(revision::Column::Version.lt(before));
    }
    select
        .order_by_desc(revision::Column::Version)
        .limit(count)
        .all(db)
        .await
}

/// Most changes a conflict page lists; older ones are in the history.
const LISTED_CHANGES: u64 = 50;

/// The revision at `version` (the base) and the ones after it, oldest
/// first, at most the newest [`LISTED_CHANGES`] of those: a form opened long
/// ago (or a made-up version) never loads a whole long history.
pub async fn since(
    db: &impl ConnectionTrait,
    id: i64,
    version: i64,
) -> Result<Vec<Revision>, DbErr> {
    let mut newest = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Version.gte(version))
        .order_by_desc(revision::Column::Version)
        .limit(LISTED_CHANGES + 1)
        .all(db)
        .await?;
    newest.reverse();
    if newest
        .first()
        .is_some_and(|oldest| oldest.version > version)
    {
        // The base fell outside the window: fetch it on its own.
        if let Some(base) = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(id))
            .filter(revision::Column::Version.eq(version))
            .one(db)
            .await?
        {
            newest.insert(0, base);
        }
    }
    Ok(newest)
}

/// Version `version` of student `id`, if it has one.
pub async fn at_version(
    db: &impl ConnectionTrait,
    id: i64,
    version: i64,
) -> Result<Option<Revision>, DbErr> {
    revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Version.eq(version))
        .one(db)
        .await
}

/// The revision of the student's current version (its latest change).
pub async fn latest(
    db: &impl ConnectionTrait,
    student: &Student,
) -> Result<Option<Revision>, DbErr> {
    at_version(db, student.id, student.version).await
}
