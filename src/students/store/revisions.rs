//! Revision rows: one per committed change, written in its transaction,
//! and the queries that read a student's or a registrar's history.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::columns::Columns;
use super::rows::{Action, Revision, Student};
use crate::cluster::submission::Submission;
use crate::db::entities::{revision, student};
use crate::domain::Reason;

/// Records `student` (as it is after the change) as a revision of `action`,
/// with the registrar's reason and the form submission that made it.
pub async fn insert(
    txn: &DatabaseTransaction,
    student: &Student,
    action: Action,
    reason: Option<&Reason>,
    submission: Option<&Submission>,
) -> Result<(), DbErr> {
    revision::Entity::insert(model(student, action, reason, submission))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Records each of `students` (as it is after its change) as a revision of
/// `action` with no reason, in one statement.
pub async fn insert_many(
    txn: &DatabaseTransaction,
    students: &[Student],
    action: Action,
) -> Result<(), DbErr> {
    if students.is_empty() {
        return Ok(());
    }
    revision::Entity::insert_many(
        students
            .iter()
            .map(|student| model(student, action, None, None)),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The revision of `student` as it is after a change of `action`.
fn model(
    student: &Student,
    action: Action,
    reason: Option<&Reason>,
    submission: Option<&Submission>,
) -> revision::ActiveModel {
    let mut model = revision::ActiveModel {
        id: NotSet,
        student_id: Set(student.id),
        version: Set(student.version),
        action: Set(action),
        registrar: Set(student.updated_by.clone()),
        at: Set(student.updated_at),
        reason: Set(reason.map(|r| r.to_string())),
        submission: Set(submission.map(|s| s.as_str().to_owned())),
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

/// A registrar's own changes across all students, newest first, starting
/// below revision id `before` when given.
pub async fn by_registrar(
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
