//! The record of every change made to an account: who, what, when.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::account::Account;
use crate::db::entities::account_change;
use crate::db::now;

pub type AccountChange = account_change::Model;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// An admin, through the account pages.
    Admin { id: i64, username: &'a str },
    /// The account's own holder, on `/account`.
    Holder { id: i64, username: &'a str },
    /// `registrar user …` on the server.
    CommandLine,
    /// The first visit's `/setup`.
    Setup,
    /// The university's identity provider, by the claims of a sign-in.
    Provider,
}

impl Actor<'_> {
    pub fn name(&self) -> String {
        match self {
            Actor::Admin { username, .. } | Actor::Holder { username, .. } => {
                (*username).to_owned()
            }
            Actor::CommandLine => "command line".to_owned(),
            Actor::Setup => "first-time setup".to_owned(),
            Actor::Provider => "university sign-in".to_owned(),
        }
    }
}

/// Records a change to `account` (as it is after the change).
pub async fn record(
    txn: &impl ConnectionTrait,
    account: &Account,
    actor: &Actor<'_>,
    action: &str,
    detail: &str,
) -> Result<(), DbErr> {
    account_change::Entity::insert(account_change::ActiveModel {
        id: NotSet,
        registrar_id: Set(account.id),
        version: Set(account.version),
        actor: Set(actor.name().chars().take(64).collect()),
        action: Set(action.to_owned()),
        detail: Set(detail.chars().take(200).collect()),
        at: Set(now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The account's changes, newest first, at most `limit`.
pub async fn newest(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    limit: u64,
) -> Result<Vec<AccountChange>, DbErr> {
    account_change::Entity::find()
        .filter(account_change::Column::RegistrarId.eq(registrar_id))
        .order_by_desc(account_change::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The changes that made the account's version newer than `seen`, oldest
/// first (what a stale form missed).
pub async fn since(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    seen: i64,
) -> Result<Vec<AccountChange>, DbErr> {
    account_change::Entity::find()
        .filter(account_change::Column::RegistrarId.eq(registrar_id))
        .filter(account_change::Column::Version.gt(seen))
        .order_by_asc(account_change::Column::Id)
        .limit(50)
        .all(db)
        .await
}
