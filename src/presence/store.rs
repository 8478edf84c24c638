//! The `presence` table: one row per (account, student) whose edit form
//! the account opened, with the time.
//!
//! Marking is best effort. On SQLite the upsert needs the database's write
//! lock, which a long import or save may hold for seconds: the mark then
//! waits at most [`SQLITE_WAIT`] and is skipped, so opening the form is
//! never turned into a `503` or noticeably delayed. Elsewhere it is one
//! statement on its own (one round trip) that touches only its own row
//! (no foreign keys, see the migration); the page waits for it at most
//! [`PAGE_WAIT`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::{Notice, Pace, WINDOW};
use crate::cluster::retry;
use crate::db::entities::{presence, registrar};
use crate::domain::Role;

/// Longest wait for SQLite's write lock (its busy timeout, for this
/// statement only).
const SQLITE_WAIT: Duration = Duration::from_millis(25);
/// Longest the page waits for its mark; a mark still waiting then goes on
/// without it (and is reported skipped).
const PAGE_WAIT: Duration = Duration::from_millis(200);

/// What became of a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    Recorded,
    /// The database was busy: no mark this time (the page is served anyway).
    Skipped,
    /// The account opened more forms than anyone reads ([`Pace`]): no mark.
    TooFast,
}

/// Records that `registrar_id` has the edit form of `student_id` open, at
/// `at`, if the database can take it at once and the account is within
/// its [`Pace`]. Never fails: a refusal is logged and reported as
/// [`Marked::Skipped`].
///
/// The mark runs as a task of its own, so that a request dropped while it
/// waits (a client that gives up) cannot cut it between changing the
/// pooled connection's busy timeout and putting it back: a connection
/// always returns to the pool as it was taken.
pub async fn mark_open(
    db: &DatabaseConnection,
    pace: &Pace,
    registrar_id: i64,
    student_id: i64,
    at: DateTime<Utc>,
) -> Marked {
    if !pace.allows(registrar_id) {
        return Marked::TooFast;
    }
    let db = db.clone();
    let marking = tokio::spawn(async move {
        retry::write("presence mark", || {
            upsert(&db, registrar_id, student_id, at)
        })
        .await
    });
    match tokio::time::timeout(PAGE_WAIT, marking).await {
        Err(_) => {
            tracing::debug!("presence mark still waiting; the page goes on without it");
            Marked::Skipped
        }
        Ok(Ok(Ok(marked))) => marked,
        Ok(Ok(Err(err))) => {
            tracing::debug!(error = %err, "presence not recorded");
            Marked::Skipped
        }
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "presence mark stopped");
            Marked::Skipped
        }
    }
}

async fn upsert(
    db: &DatabaseConnection,
    registrar_id: i64,
    student_id: i64,
    at: DateTime<Utc>,
) -> Result<Marked, DbErr> {
    let backend = db.get_database_backend();
    let statement = presence::Entity::insert(presence::ActiveModel {
        registrar_id: Set(registrar_id),
        student_id: Set(student_id),
        opened_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([presence::Column::RegistrarId, presence::Column::StudentId])
            .update_column(presence::Column::OpenedAt)
            .to_owned(),
    );
    if backend != DbBackend::Sqlite {
        // One statement on its own (it commits itself): one round trip. It
        // touches only its own row, so it waits only for the same
        // account's save of the same student; the page does not wait for
        // it longer than [`PAGE_WAIT`] (see [`mark_open`]).
        statement.exec_without_returning(db).await?;
        return Ok(Marked::Recorded);
    }
    // A deferred transaction: it takes no lock until the upsert asks for one.
    // Not cut short by a timeout of our own: a transaction abandoned between
    // `BEGIN` and its answer would go back to the pool still open.
    let txn = db.begin().await?;
    // SQLite: the pool's busy timeout is a property of the connection; it
    // is shortened for this statement and put back before the connection
    // returns to the pool, whatever the upsert did.
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "PRAGMA busy_timeout",
        ))
        .await?;
    let pool_busy_ms = row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(5_000);
    txn.execute_unprepared(&format!(
        "PRAGMA busy_timeout = {}",
        SQLITE_WAIT.as_millis()
    ))
    .await?;
    let written = statement.exec_without_returning(&txn).await;
    txn.execute_unprepared(&format!("PRAGMA busy_timeout = {pool_busy_ms}"))
        .await?;
    match written {
        Ok(_) => {
            txn.commit().await?;
            Ok(Marked::Recorded)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    }
}

/// Clears the account's mark on one student, in the transaction of the
/// save, delete or restore that makes it obsolete (it goes with the
/// commit: no second transaction, no second commit).
pub async fn clear_in(
    txn: &impl ConnectionTrait,
    registrar_id: i64,
    student_id: i64,
) -> Result<(), DbErr> {
    presence::Entity::delete_many()
        .filter(presence::Column::RegistrarId.eq(registrar_id))
        .filter(presence::Column::StudentId.eq(student_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Clears every mark of the account: signing out.
pub async fn clear_all_for(db: &impl ConnectionTrait, registrar_id: i64) -> Result<(), DbErr> {
    presence::Entity::delete_many()
        .filter(presence::Column::RegistrarId.eq(registrar_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Most notices a page shows.
const SHOWN: u64 = 10;

/// The other registrars who opened the student's edit form within
/// [`WINDOW`] before `now` and have not saved, deleted or signed out since;
/// newest first. Reads only.
pub async fn others(
    db: &impl ConnectionTrait,
    student_id: i64,
    me: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, DbErr> {
    let marks = presence::Entity::find()
        .filter(presence::Column::StudentId.eq(student_id))
        .filter(presence::Column::RegistrarId.ne(me))
        .filter(presence::Column::OpenedAt.gt(now - WINDOW))
        .order_by_desc(presence::Column::OpenedAt)
        .limit(SHOWN)
        .all(db)
        .await?;
    if marks.is_empty() {
        return Ok(Vec::new());
    }
    // Only accounts that may still write: a disabled or demoted account's
    // marks stop counting at once (and are swept with the others).
    let accounts = registrar::Entity::find()
        .filter(registrar::Column::Id.is_in(marks.iter().map(|m| m.registrar_id)))
        .filter(registrar::Column::DisabledAt.is_null())
        .filter(
            registrar::Column::Role.is_in(Role::ALL.into_iter().filter(|r| r.may_change_records())),
        )
        .all(db)
        .await?;
    Ok(marks
        .into_iter()
        .filter_map(|mark| {
            let account = accounts.iter().find(|a| a.id == mark.registrar_id)?;
            Some(Notice::new(account.username.clone(), mark.opened_at, now))
        })
        .collect())
}

/// Deletes marks older than [`WINDOW`]: run with the session sweep.
pub async fn sweep(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let swept = presence::Entity::delete_many()
        .filter(presence::Column::OpenedAt.lte(now - WINDOW))
        .exec(db)
        .await?;
    Ok(swept.rows_affected)
}
