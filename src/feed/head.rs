//! The feed's one row (`feed_sequencer`): where the feed stands, and the
//! lease of the instance that stamps. Every statement here names the row
//! by its id (1) and, when it writes, the lease holder it expects, so a
//! lease moved to another instance makes a stale holder's write find
//! nothing.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use crate::db::entities::feed_sequencer::{self, Column};

/// The feed's row.
pub type Head = feed_sequencer::Model;

const ROW: i32 = 1;

fn missing() -> DbErr {
    DbErr::RecordNotFound("the change feed's row (feed_sequencer, id 1)".into())
}

/// The feed's row as committed now.
pub async fn read(db: &impl ConnectionTrait) -> Result<Head, DbErr> {
    feed_sequencer::Entity::find_by_id(ROW)
        .one(db)
        .await?
        .ok_or_else(missing)
}

/// The highest position stamped.
pub async fn last_position(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    feed_sequencer::Entity::find_by_id(ROW)
        .select_only()
        .column(Column::LastPosition)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or_else(missing)
}

/// Reads the row and locks it until `txn` ends (`SELECT … FOR UPDATE`; on
/// SQLite the `IMMEDIATE` transaction holds the database's write lock).
/// A batch of stamps holds it throughout, so a takeover of the lease waits
/// for the batch, or the batch for the takeover.
pub async fn lock_for_update(txn: &DatabaseTransaction) -> Result<Head, DbErr> {
    feed_sequencer::Entity::find_by_id(ROW)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(missing)
}

/// Takes the lease for `me` until `until`, or renews it: when nobody holds
/// it, `me` does, or its holder's lease ran out by `now`. Whether `me`
/// holds it now.
pub async fn take_lease(
    db: &impl ConnectionTrait,
    me: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let free = Condition::any()
        .add(Column::Holder.is_null())
        .add(Column::Holder.eq(me))
        .add(Column::LeaseUntil.is_null())
        .add(Column::LeaseUntil.lt(now));
    let taken = feed_sequencer::Entity::update_many()
        .col_expr(Column::Holder, Expr::value(me))
        .col_expr(Column::LeaseUntil, Expr::value(until))
        .filter(Column::Id.eq(ROW))
        .filter(free)
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Lets the lease go, if `me` holds it (at shutdown: another instance
/// takes over at once instead of when it runs out).
pub async fn release_lease(db: &impl ConnectionTrait, me: &str) -> Result<(), DbErr> {
    feed_sequencer::Entity::update_many()
        .col_expr(Column::Holder, Expr::value(None::<String>))
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(Column::Id.eq(ROW))
        .filter(Column::Holder.eq(me))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the feed from `from` (the last position the locked row said) to
/// `to` and renews `me`'s lease until `until`, in the batch's transaction.
/// `false`: the row is not as the batch read it (nothing written).
pub async fn advance(
    txn: &DatabaseTransaction,
    me: &str,
    from: i64,
    to: i64,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let moved = feed_sequencer::Entity::update_many()
        .col_expr(Column::LastPosition, Expr::value(to))
        .col_expr(Column::LeaseUntil, Expr::value(until))
        .filter(Column::Id.eq(ROW))
        .filter(Column::Holder.eq(me))
        .filter(Column::LastPosition.eq(from))
        .exec(txn)
        .await?;
    Ok(moved.rows_affected == 1)
}
