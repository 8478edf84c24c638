//! The access log's statements: the writer's multi-row inserts, the log's
//! pages (newest first by `(at, id)`, one index range each however deep:
//! see the migration `m20261207_000016_access_log`), and the retention
//! sweep.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::Pending;
use crate::db::entities::access_entry::{self, Column};

/// Rows one insert writes at most (ten values each: well under every
/// backend's limit of bound values per statement).
pub const INSERT_CHUNK: usize = 500;
/// Rows one sweep statement deletes at most, so that no statement holds
/// many locks or a long transaction, whichever instance runs it.
pub const SWEEP_BATCH: u64 = 1_000;

/// A row of the log as read.
pub type Entry = access_entry::Model;

/// Writes `entries` in one statement.
pub async fn insert(db: &impl ConnectionTrait, entries: &[Pending]) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    access_entry::Entity::insert_many(entries.iter().map(|e| access_entry::ActiveModel {
        id: NotSet,
        at: Set(e.at),
        account: Set(e.account.clone()),
        kind: Set(e.kind),
        student_id: Set(e.student_id),
        query: Set(e.query.clone()),
        rows: Set(e.rows),
        client_addr: Set(e.client_addr.clone()),
        confidential: Set(e.confidential),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// What the log is narrowed to: an account's stored username, a student,
/// instants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub account: Option<String>,
    pub student: Option<i64>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

/// A place in the log's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub at: DateTime<Utc>,
    pub id: i64,
}

/// Where `before=ID` starts a page: just below entry `id`, if there is one.
pub async fn position_of(db: &impl ConnectionTrait, id: i64) -> Result<Option<Position>, DbErr> {
    Ok(access_entry::Entity::find_by_id(id)
        .select_only()
        .column(Column::At)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?
        .map(|at| Position { at, id }))
}

/// Up to `limit` entries in `scope`, newest first, below `before` when
/// given.
pub async fn rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    before: Option<Position>,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let mut select = access_entry::Entity::find();
    if let Some(account) = &scope.account {
        select = select.filter(Column::Account.eq(account.as_str()));
    }
    if let Some(student) = scope.student {
        select = select.filter(Column::StudentId.eq(student));
    }
    if let Some(from) = scope.from {
        select = select.filter(Column::At.gte(from));
    }
    if let Some(to) = scope.to {
        select = select.filter(Column::At.lt(to));
    }
    if let Some(before) = before {
        // `at <= b.at AND (at < b.at OR id < b.id)`: the first half an
        // index range on every backend.
        select = select.filter(
            Condition::all()
                .add(Column::At.lte(before.at))
                .add(Column::At.lt(before.at).or(Column::Id.lt(before.id))),
        );
    }
    select
        .order_by_desc(Column::At)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Deletes up to [`SWEEP_BATCH`] entries from before `cutoff`, oldest
/// first; returns how many. Instances sweeping at once delete disjoint or
/// already-deleted rows: nothing waits long, nothing fails.
pub async fn sweep_batch(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    let ids: Vec<i64> = access_entry::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::At.lt(cutoff))
        .order_by_asc(Column::At)
        .order_by_asc(Column::Id)
        .limit(SWEEP_BATCH)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let deleted = access_entry::Entity::delete_many()
        .filter(Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
