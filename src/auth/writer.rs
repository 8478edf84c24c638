//! The write-time re-check of a writer (contract §9): every write reads
//! its account again inside its own transaction, under a shared lock on
//! the account's row, so a demotion or a disable takes effect at once,
//! even for a form opened before it, and waits for a write in flight.

use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QuerySelect};

use crate::db::entities::registrar;
use crate::domain::Role;

/// Why a write was refused when it re-checked its writer.
#[derive(Debug, thiserror::Error)]
pub enum WriteRefused {
    #[error("not allowed for the {0} role")]
    Role(Role),
    #[error("the account is not enabled")]
    NotEnabled,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Inside a write transaction: the account `account_id` still exists, is
/// enabled and has at least `needed`, read under a shared lock on its row
/// so that a demotion or disable waits for this write to end (and a write
/// after it sees it). Otherwise the caller rolls back.
pub async fn recheck(
    txn: &impl ConnectionTrait,
    account_id: i64,
    needed: Role,
) -> Result<Role, WriteRefused> {
    let account = registrar::Entity::find_by_id(account_id)
        .lock_shared()
        .one(txn)
        .await?;
    Ok(judged(account, needed)?.role)
}

/// The account a write is attributed to, as [`recheck_named`] found it.
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    pub id: i64,
    pub role: Role,
}

/// [`recheck`] for the account a write is attributed to, by its username
/// (the name the write records): one statement, the account read by its
/// unique username key under the same shared lock.
pub async fn recheck_named(
    txn: &impl ConnectionTrait,
    username: &str,
    needed: Role,
) -> Result<Writer, WriteRefused> {
    let account = registrar::Entity::find()
        .filter(registrar::Column::UsernameKey.eq(username.to_ascii_lowercase()))
        .lock_shared()
        .one(txn)
        .await?;
    judged(account, needed)
}

/// Whether `account` exists, is enabled and has at least `needed` (for a
/// write that read it, share-locked, in a statement of its own).
pub fn judged(account: Option<registrar::Model>, needed: Role) -> Result<Writer, WriteRefused> {
    match account {
        Some(account) if account.disabled_at.is_none() => {
            if account.role >= needed {
                Ok(Writer {
                    id: account.id,
                    role: account.role,
                })
            } else {
                Err(WriteRefused::Role(account.role))
            }
        }
        _ => Err(WriteRefused::NotEnabled),
    }
}
