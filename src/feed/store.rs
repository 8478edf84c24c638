//! The feed's statements on `revisions`: the revisions not yet stamped,
//! stamping them, and reading them back in feed order.
//!
//! A revision's place in the feed is its `feed_position`, or, for the
//! revisions that existed when the feed began (ids up to the `baseline`),
//! its id. The column is not in the revision entity: the write core never
//! sets or reads it, and only this module names it.

use std::collections::HashSet;

use migrations::indexes;
use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use crate::db::entities::{revision, student};
use crate::db::joined::JoinedUpdate;
use crate::students::store::Revision;

/// The revision's place in the feed, once stamped.
pub const FEED_POSITION: &str = "feed_position";

/// Stamps per statement (two parameters each).
const STAMPS_PER_STATEMENT: usize = 500;

fn feed_position() -> Expr {
    Expr::col((revision::Entity, Alias::new(FEED_POSITION)))
}

/// A committed revision the sequencer has not stamped yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct Unstamped {
    pub id: i64,
    pub student_id: i64,
    pub version: i64,
}

/// The unstamped revisions above the baseline: on PostgreSQL and SQLite
/// an id range of the partial index of the unstamped, on MySQL/MariaDB of
/// the `NULL` entries of the feed's `(feed_position, id)` index, named:
/// MariaDB would otherwise read the primary key from the baseline up,
/// through every revision stamped since.
fn unstamped_select(backend: DbBackend, baseline: i64) -> sea_orm::Select<revision::Entity> {
    let mut select = unstamped_of_any(baseline);
    if backend == DbBackend::MySql {
        QueryTrait::query(&mut select)
            .force_index(Alias::new(indexes::REVISIONS_FEED), IndexHintScope::All);
    }
    select
}

fn unstamped_of_any(baseline: i64) -> sea_orm::Select<revision::Entity> {
    revision::Entity::find()
        .select_only()
        .column(revision::Column::Id)
        .column(revision::Column::StudentId)
        .column(revision::Column::Version)
        .filter(feed_position().is_null())
        .filter(revision::Column::Id.gt(baseline))
}

/// Whether any committed revision above the baseline is unstamped (one
/// index probe: the sequencer's poll while there is nothing to do).
pub async fn any_unstamped(db: &impl ConnectionTrait, baseline: i64) -> Result<bool, DbErr> {
    Ok(unstamped_select(db.get_database_backend(), baseline)
        .limit(1)
        .into_model::<Unstamped>()
        .one(db)
        .await?
        .is_some())
}

/// The `limit` unstamped revisions of lowest id, as committed now.
pub async fn unstamped(
    txn: &DatabaseTransaction,
    baseline: i64,
    limit: u64,
) -> Result<Vec<Unstamped>, DbErr> {
    unstamped_select(txn.get_database_backend(), baseline)
        .order_by_asc(revision::Column::Id)
        .limit(limit)
        .into_model::<Unstamped>()
        .all(txn)
        .await
}

/// Every unstamped revision of `students`, as committed now.
pub async fn unstamped_of(
    txn: &DatabaseTransaction,
    baseline: i64,
    students: &[i64],
) -> Result<Vec<Unstamped>, DbErr> {
    let mut found = Vec::with_capacity(students.len());
    for chunk in students.chunks(500) {
        found.extend(
            unstamped_of_any(baseline)
                .filter(revision::Column::StudentId.is_in(chunk.iter().copied()))
                .into_model::<Unstamped>()
                .all(txn)
                .await?,
        );
    }
    Ok(found)
}

/// Stamps each `(id, position)` in `txn`, only where the revision is not
/// stamped yet; how many were.
pub async fn stamp(txn: &DatabaseTransaction, stamps: &[(i64, i64)]) -> Result<u64, DbErr> {
    let backend = txn.get_database_backend();
    let mut stamped = 0;
    for chunk in stamps.chunks(STAMPS_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|&(id, position)| [(id.into(), "bigint"), (position.into(), "bigint")]);
        let update = JoinedUpdate::new(
            backend,
            "revisions",
            &["id", "place"],
            rows,
            "revisions.id = v.id",
        )
        .set(FEED_POSITION, "v.place")
        .filter("revisions.feed_position IS NULL")
        .build(None);
        stamped += txn.execute_raw(update).await?.rows_affected();
    }
    Ok(stamped)
}

/// A revision and its place in the feed.
#[derive(Debug, Clone, FromQueryResult)]
struct Placed {
    #[sea_orm(nested)]
    revision: Revision,
    feed_position: Option<i64>,
}

/// The revisions after `position`, at most `limit`, in feed order, each
/// with its position: first those of the baseline (by id), then the
/// stamped ones.
pub async fn after(
    db: &impl ConnectionTrait,
    position: i64,
    baseline: i64,
    limit: u64,
) -> Result<Vec<(i64, Revision)>, DbErr> {
    let mut page = Vec::new();
    if position < baseline {
        page.extend(
            revision::Entity::find()
                .filter(revision::Column::Id.gt(position))
                .filter(revision::Column::Id.lte(baseline))
                .order_by_asc(revision::Column::Id)
                .limit(limit)
                .all(db)
                .await?
                .into_iter()
                .map(|revision| (revision.id, revision)),
        );
    }
    let rest = limit.saturating_sub(page.len() as u64);
    if rest > 0 {
        page.extend(
            placed()
                .filter(feed_position().gt(position))
                .order_by_asc(feed_position())
                .limit(rest)
                .into_model::<Placed>()
                .all(db)
                .await?
                .into_iter()
                .filter_map(|p| Some((p.feed_position?, p.revision))),
        );
    }
    Ok(page)
}

/// The revision at `position`, if any.
pub async fn at(
    db: &impl ConnectionTrait,
    position: i64,
    baseline: i64,
) -> Result<Option<Revision>, DbErr> {
    if position <= baseline {
        return revision::Entity::find_by_id(position).one(db).await;
    }
    Ok(placed()
        .filter(feed_position().eq(position))
        .into_model::<Placed>()
        .one(db)
        .await?
        .map(|p| p.revision))
}

fn placed() -> sea_orm::Select<revision::Entity> {
    revision::Entity::find().column_as(feed_position(), FEED_POSITION)
}

/// Which of `ids` are confidential students now.
pub async fn held(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashSet<i64>, DbErr> {
    let mut held = HashSet::new();
    for chunk in ids.chunks(500) {
        held.extend(
            student::Entity::find()
                .select_only()
                .column(student::Column::Id)
                .filter(student::Column::Id.is_in(chunk.iter().copied()))
                .filter(student::Column::Confidential.eq(true))
                .into_tuple::<i64>()
                .all(db)
                .await?,
        );
    }
    Ok(held)
}
