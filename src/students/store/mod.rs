//! Persistence of students, their revisions and conflict entries: the only
//! code that writes them. Functions that lock say so in their names, and
//! every write takes the transaction it belongs to. Every write moves the
//! student's hash chain (contract §15): the new revision's hash, over the
//! locked row's `chain_head`, is the revision's `hash` and the row's new
//! `chain_head`, written by the same guarded update.
//!
//! - this module: one student (find, lock, insert, guarded update/delete);
//! - [`revisions`]: the revision rows every committed change writes, and
//!   the queries of a student's or a registrar's history;
//! - [`conflicts`]: the refused submissions kept in a student's history;
//! - [`bulk`]: many students at once (demo data, an import's batches);
//! - [`import_entries`]: an import's one entry in the office's change log;
//! - [`numbers`]: who holds a student number;
//! - [`folded`]: a save's statements said in fewer, where the backend can;
//! - [`postings`]: MariaDB's search postings, moved with every key;
//! - [`columns`]: the one mapping of a student's values to every table's
//!   columns;
//! - `rows` and `count`: the row types and [`Author`] every part shares,
//!   and the live-student count (children, so no part imports this one).

pub mod bulk;
pub mod columns;
pub mod conflicts;
mod count;
pub mod folded;
pub mod import_entries;
pub mod numbers;
pub mod postings;
pub mod revisions;
mod rows;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::cluster::submission::Submission;
use crate::db::entities::student;
use crate::domain::StudentValues;
use columns::Columns;
use postings::Repost;

pub use count::{adjust_live_count, live_count};
pub use numbers::highest_id;
pub use rows::{Action, Attempt, Author, ConflictEntry, Revision, Student};

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Student>, DbErr> {
    student::Entity::find_by_id(id).one(db).await
}

/// The students of `ids` that exist (deleted ones included), by id: a
/// page's rows read in one statement per few hundred ids.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Student>, DbErr> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for student in student::Entity::find()
            .filter(student::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            found.insert(student.id, student);
        }
    }
    Ok(found)
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

/// [`lock_for_update`] for the students `ids` (one statement, in id order).
pub async fn lock_many_for_update(
    txn: &DatabaseTransaction,
    ids: &[i64],
) -> Result<Vec<Student>, DbErr> {
    student::Entity::find()
        .filter(student::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(student::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await
}

/// Inserts a new student at version 1 with its "created" revision (of
/// `submission`, when the form carried one).
pub async fn insert(
    txn: &DatabaseTransaction,
    fields: &StudentValues,
    registrar: &str,
    at: DateTime<Utc>,
    submission: Option<&Submission>,
) -> Result<Student, DbErr> {
    let author = Author {
        registrar,
        at,
        reason: None,
        submission,
        import: None,
    };
    insert_as(txn, fields, Action::Created, &author).await
}

/// Inserts a new student at version 1 by `author` with its first revision
/// of `action` (`created`, or `imported` for a CSV row).
pub async fn insert_as(
    txn: &DatabaseTransaction,
    fields: &StudentValues,
    action: Action,
    author: &Author<'_>,
) -> Result<Student, DbErr> {
    adjust_live_count(txn, 1).await?;
    let mut student = student::ActiveModel {
        id: NotSet,
        version: Set(1),
        created_at: Set(author.at),
        updated_at: Set(author.at),
        updated_by: Set(author.registrar.to_owned()),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Default::default()
    };
    Columns::of(fields).set_student(&mut student);
    let student = student.insert(txn).await?;
    // The hash covers the id the insert just gave: one more statement, for
    // a create only (a save's guarded update writes its head itself).
    let student = revisions::chained(student, action, author.reason, chain::GENESIS);
    student::Entity::update_many()
        .col_expr(
            student::Column::ChainHead,
            Expr::value(student.chain_head.clone()),
        )
        .filter(student::Column::Id.eq(student.id))
        .exec(txn)
        .await?;
    revisions::insert(txn, &student, action, author).await?;
    postings::repost_one(txn, student.id, None, Some(&student.search_key)).await?;
    Ok(student)
}

/// Writes `fields` as version `current.version + 1`, guarded by
/// `WHERE id = ? AND version = ?`, and its revision of `action` (an
/// update, or a restore of an earlier version's values).
///
/// Returns the student as written, or `None`, having written nothing, when
/// the guard matched no row: somebody else's change got in, whatever the
/// lock did or did not hold.
pub async fn update_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    fields: &StudentValues,
    action: Action,
    author: &Author<'_>,
) -> Result<Option<Student>, DbErr> {
    let columns = Columns::of(fields);
    let after = columns.clone().onto(next_version(current, author));
    let after = revisions::chained(after, action, author.reason, &current.chain_head);
    let written = columns
        .update(guarded(current, &after))
        .filter(student::Column::DeletedAt.is_null())
        .exec(txn)
        .await?;
    if written.rows_affected != 1 {
        return Ok(None);
    }
    revisions::insert(txn, &after, action, author).await?;
    postings::repost_one(
        txn,
        after.id,
        Some(&current.search_key),
        Some(&after.search_key),
    )
    .await?;
    Ok(Some(after))
}

/// [`update_guarded`] for many students in `txn` (each `(current, fields)`
/// at `current.version`, locked by the caller), each with its revision of
/// `action`; returns the ids written. The guard is the same, written for
/// [`bulk::UPDATES_PER_STATEMENT`] rows at once (see [`bulk::update`]),
/// and the revisions go in as one multi-row insert per statement. A change
/// with a reason (each revision its own) is written one row at a time.
pub async fn update_many_guarded(
    txn: &DatabaseTransaction,
    rows: &[(&Student, &StudentValues)],
    action: Action,
    author: &Author<'_>,
) -> Result<std::collections::HashSet<i64>, DbErr> {
    let mut written = std::collections::HashSet::with_capacity(rows.len());
    if author.reason.is_some() {
        for (current, fields) in rows {
            if update_guarded(txn, current, fields, action, author)
                .await?
                .is_some()
            {
                written.insert(current.id);
            }
        }
        return Ok(written);
    }
    for chunk in rows.chunks(bulk::UPDATES_PER_STATEMENT) {
        let mut after: Vec<Student> = chunk
            .iter()
            .map(|(current, fields)| {
                let after = Columns::of(fields).onto(next_version(current, author));
                revisions::chained(after, action, None, &current.chain_head)
            })
            .collect();
        let now_written = bulk::update(txn, chunk, &after, author).await?;
        let keys: Vec<Repost> = chunk
            .iter()
            .zip(&after)
            .filter(|((current, _), _)| now_written.contains(&current.id))
            .map(|((current, _), after)| Repost {
                id: current.id,
                before: Some(&current.search_key),
                after: Some(&after.search_key),
            })
            .collect();
        postings::repost(txn, &keys).await?;
        after.retain(|student| now_written.contains(&student.id));
        revisions::insert_many(txn, &after, action, author).await?;
        written.extend(now_written);
    }
    Ok(written)
}

/// Marks the student deleted as version `current.version + 1` (the row stays,
/// so its id is never reused and its page can say who deleted it), guarded
/// like [`update_guarded`], with a "deleted" revision of the last values.
pub async fn delete_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    author: &Author<'_>,
) -> Result<Option<Student>, DbErr> {
    let after = Student {
        deleted_at: Some(author.at),
        deleted_by: Some(author.registrar.to_owned()),
        ..next_version(current, author)
    };
    let after = revisions::chained(after, Action::Deleted, author.reason, &current.chain_head);
    let written = guarded(current, &after)
        .col_expr(student::Column::DeletedAt, Expr::value(Some(author.at)))
        .col_expr(
            student::Column::DeletedBy,
            Expr::value(Some(author.registrar.to_owned())),
        )
        .filter(student::Column::DeletedAt.is_null())
        .exec(txn)
        .await?;
    if written.rows_affected != 1 {
        return Ok(None);
    }
    adjust_live_count(txn, -1).await?;
    revisions::insert(txn, &after, Action::Deleted, author).await?;
    postings::repost_one(txn, after.id, Some(&current.search_key), None).await?;
    Ok(Some(after))
}

/// Brings the deleted student back as version `current.version + 1`, its
/// last values kept, guarded by
/// `WHERE id = ? AND version = ? AND deleted_at IS NOT NULL`; it counts as
/// live again; an "undeleted" revision.
pub async fn undelete_guarded(
    txn: &DatabaseTransaction,
    current: &Student,
    author: &Author<'_>,
) -> Result<Option<Student>, DbErr> {
    let after = Student {
        deleted_at: None,
        deleted_by: None,
        ..next_version(current, author)
    };
    let after = revisions::chained(after, Action::Undeleted, author.reason, &current.chain_head);
    let written = guarded(current, &after)
        .col_expr(
            student::Column::DeletedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(student::Column::DeletedBy, Expr::value(None::<String>))
        .filter(student::Column::DeletedAt.is_not_null())
        .exec(txn)
        .await?;
    if written.rows_affected != 1 {
        return Ok(None);
    }
    adjust_live_count(txn, 1).await?;
    revisions::insert(txn, &after, Action::Undeleted, author).await?;
    postings::repost_one(txn, after.id, None, Some(&after.search_key)).await?;
    Ok(Some(after))
}

/// The update of the student at exactly `current.version`, moving it to
/// `after`'s version, author and chain head (the new revision's hash, over
/// the locked row's head): `WHERE id = ? AND version = ?` (callers add
/// whether it must be live or deleted).
fn guarded(current: &Student, after: &Student) -> sea_orm::UpdateMany<student::Entity> {
    student::Entity::update_many()
        .col_expr(
            student::Column::Version,
            Expr::col(student::Column::Version).add(1),
        )
        .col_expr(student::Column::UpdatedAt, Expr::value(after.updated_at))
        .col_expr(
            student::Column::UpdatedBy,
            Expr::value(after.updated_by.clone()),
        )
        .col_expr(
            student::Column::ChainHead,
            Expr::value(after.chain_head.clone()),
        )
        .filter(student::Column::Id.eq(current.id))
        .filter(student::Column::Version.eq(current.version))
}

/// `current` as the next version by the author, other values kept.
fn next_version(current: &Student, author: &Author<'_>) -> Student {
    Student {
        version: current.version + 1,
        updated_at: author.at,
        updated_by: author.registrar.to_owned(),
        ..current.clone()
    }
}
