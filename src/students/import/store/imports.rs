//! The `imports` table: an import from its upload (created, within the
//! account's limit of imports waiting) to its deletion (discarded, or swept
//! once it expired), and finding one.

use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::checks::{CHECK_LEASE, fail_stalled_checks};
use crate::auth::tokens;
use crate::cluster::retry;
use crate::db::entities::import::{self, ImportState};
use crate::db::entities::import_row::{self, RowOutcome};
use crate::db::entities::registrar;
use crate::db::now;

pub type Import = import::Model;

/// Imports one registrar may have waiting for a confirm at once.
pub const PENDING_PER_REGISTRAR: u64 = 5;

/// How long an import nobody confirmed waits (then [`sweep`] deletes it).
pub const PENDING_FOR: chrono::Duration = chrono::Duration::days(1);

/// How long a confirmed import's result and refused rows are kept after
/// it finished (then [`sweep`] deletes them).
pub const KEPT_FOR: chrono::Duration = chrono::Duration::days(7);

/// Starts an import of `filename` for `registrar`, its rows still being
/// checked, if `registrar` has fewer than [`PENDING_PER_REGISTRAR`]
/// imports waiting (after [`make_room`]); returns its id, a random token,
/// or `None` when there is no room.
///
/// Counting and inserting are one transaction that holds the account's row
/// (SQLite: the database's write lock), so uploads sent at once by one
/// account are counted one after another and never pass the limit.
pub async fn create(
    db: &DatabaseConnection,
    registrar: &str,
    filename: &str,
) -> Result<Option<String>, DbErr> {
    retry::write("import upload", || async {
        let txn = crate::db::begin_write(db).await?;
        registrar::Entity::find()
            .filter(registrar::Column::Username.eq(registrar))
            .lock_exclusive()
            .one(&txn)
            .await?;
        fail_stalled_checks(&txn, Some(registrar)).await?;
        if !make_room(&txn, registrar).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        let id = insert(&txn, registrar, filename).await?;
        txn.commit().await?;
        Ok(Some(id))
    })
    .await
}

async fn insert(
    db: &impl ConnectionTrait,
    registrar: &str,
    filename: &str,
) -> Result<String, DbErr> {
    let id = tokens::random_token();
    let at = now();
    import::Entity::insert(import::ActiveModel {
        id: Set(id.clone()),
        registrar: Set(registrar.to_owned()),
        filename: Set(filename
            .chars()
            .filter(|c| !c.is_control())
            .take(255)
            .collect()),
        rows: Set(0),
        created_at: Set(at),
        state: Set(ImportState::Checking),
        all_or_nothing: Set(false),
        lease_until: Set(Some(at + CHECK_LEASE)),
        written: Set(0),
        refused: Set(0),
        failure: Set(None),
        finished_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Deletes import `id` and its rows.
pub async fn discard(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    import_row::Entity::delete_many()
        .filter(import_row::Column::ImportId.eq(id))
        .exec(db)
        .await?;
    import::Entity::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// Whether `id` could be an import's id: anything else names no import
/// (and never reaches the database).
pub fn well_formed(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `registrar`'s import `id`, if there is one.
pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
    registrar: &str,
) -> Result<Option<Import>, DbErr> {
    if !well_formed(id) {
        return Ok(None);
    }
    let found = import::Entity::find_by_id(id.to_owned())
        .filter(import::Column::Registrar.eq(registrar))
        .one(db)
        .await?;
    Ok(found.filter(|import| import.id == id))
}

/// Import `id`, whoever uploaded it.
///
/// Ids are compared exactly: MariaDB's collation would match them
/// whatever their case, and ids differing only in case are different
/// imports (see [`well_formed`]).
pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<Import>, DbErr> {
    let found = import::Entity::find_by_id(id.to_owned()).one(db).await?;
    Ok(found.filter(|import| import.id == id))
}

/// How many imports `registrar` has being checked or waiting for a confirm.
pub async fn pending_count(db: &impl ConnectionTrait, registrar: &str) -> Result<u64, DbErr> {
    import::Entity::find()
        .filter(import::Column::Registrar.eq(registrar))
        .filter(import::Column::State.is_in([ImportState::Checking, ImportState::Pending]))
        .count(db)
        .await
}

/// Makes room under [`PENDING_PER_REGISTRAR`] by discarding `registrar`'s
/// waiting imports whose confirm could write nothing (no row creates or
/// updates a student: every row is unchanged, stale, deleted, unknown or
/// invalid), oldest first; returns whether there is room now.
pub async fn make_room(db: &impl ConnectionTrait, registrar: &str) -> Result<bool, DbErr> {
    let mut waiting = pending_count(db, registrar).await?;
    if waiting < PENDING_PER_REGISTRAR {
        return Ok(true);
    }
    let pending: Vec<String> = import::Entity::find()
        .select_only()
        .column(import::Column::Id)
        .filter(import::Column::Registrar.eq(registrar))
        .filter(import::Column::State.eq(ImportState::Pending))
        .order_by_asc(import::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    for id in pending {
        let dead = import_row::Entity::find()
            .filter(import_row::Column::ImportId.eq(&id))
            .filter(import_row::Column::Outcome.is_in([RowOutcome::Create, RowOutcome::Update]))
            .one(db)
            .await?
            .is_none();
        if dead {
            discard(db, &id).await?;
            waiting -= 1;
            if waiting < PENDING_PER_REGISTRAR {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Deletes imports nobody confirmed within [`PENDING_FOR`], results
/// finished more than [`KEPT_FOR`] ago, and uploads still being checked
/// after an hour (their instance stopped).
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let now = now();
    let old: Vec<String> = import::Entity::find()
        .select_only()
        .column(import::Column::Id)
        .filter(
            import::Column::State
                .eq(ImportState::Pending)
                .and(import::Column::CreatedAt.lte(now - PENDING_FOR))
                .or(import::Column::State
                    .eq(ImportState::Checking)
                    .and(import::Column::CreatedAt.lte(now - chrono::Duration::hours(1))))
                .or(import::Column::State
                    .is_in([ImportState::Done, ImportState::Failed])
                    .and(import::Column::FinishedAt.lte(now - KEPT_FOR))),
        )
        .into_tuple()
        .all(db)
        .await?;
    for id in &old {
        discard(db, id).await?;
    }
    Ok(old.len() as u64)
}
