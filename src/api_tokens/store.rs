//! Making, listing and revoking tokens: each change in one write
//! transaction that reads the account under a lock, writes the token and
//! records the change on the account (its changes list), all at once.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::accounts::Account;
use crate::accounts::changes::{self, Actor};
use crate::auth::tokens::{digest, random_token};
use crate::auth::writer::{self, WriteRefused};
use crate::cluster::{Failure, HasFailure, retry};
use crate::db::entities::{api_token, registrar};
use crate::db::{begin_write, now};
use crate::domain::{Role, TokenDays, TokenName};

pub type ApiToken = api_token::Model;

/// Every token starts with this, so that one found in a log or a
/// repository is recognised for what it is.
pub const PREFIX: &str = "rgt_";

/// What a new token is given.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: TokenName,
    /// The most it may do (`None`: the account's role, whatever it becomes).
    pub cap: Option<Role>,
    pub days: TokenDays,
}

/// A token just made: the token itself, which is never shown again, and
/// its row.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub row: ApiToken,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The account is disabled, or gone.
    #[error("the account is not enabled")]
    NotEnabled,
    /// A cap above the account's role would promise what the token can
    /// never do.
    #[error("a token of {} cannot be capped above the account's role", .0.with_article())]
    AboveRole(Role),
    /// The admin revoking it may not any more.
    #[error(transparent)]
    Refused(WriteRefused),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<WriteRefused> for TokenError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Database(err) => TokenError::Database(err),
            refused => TokenError::Refused(refused),
        }
    }
}

impl HasFailure for TokenError {
    fn failure(&self) -> Failure {
        match self {
            TokenError::Database(err) => err.failure(),
            _ => Failure::Other,
        }
    }
}

/// Makes a token for the account `account_id` (enabled, and with a role at
/// least the cap asked for), recorded on the account as made by `actor`.
pub async fn issue(
    db: &DatabaseConnection,
    account_id: i64,
    actor: &Actor<'_>,
    new: &NewToken,
) -> Result<Issued, TokenError> {
    let token = format!("{PREFIX}{}", random_token());
    let token_hash = digest(&token);
    let row = retry::write("token issue", || {
        issue_once(db, account_id, actor, new, token_hash.clone())
    })
    .await?;
    Ok(Issued { token, row })
}

async fn issue_once(
    db: &DatabaseConnection,
    account_id: i64,
    actor: &Actor<'_>,
    new: &NewToken,
    token_hash: String,
) -> Result<ApiToken, TokenError> {
    let txn = begin_write(db).await?;
    let account = enabled_account(&txn, account_id).await?;
    if new.cap.is_some_and(|cap| cap > account.role) {
        txn.rollback().await?;
        return Err(TokenError::AboveRole(account.role));
    }
    let at = now();
    let inserted = api_token::Entity::insert(api_token::ActiveModel {
        id: NotSet,
        account_id: Set(account.id),
        name: Set(new.name.to_string()),
        token_hash: Set(token_hash),
        role: Set(new.cap),
        created_at: Set(at),
        created_by: Set(actor.name().chars().take(64).collect()),
        expires_at: Set(Some(at + new.days.duration())),
        last_used_at: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
    })
    .exec(&txn)
    .await?;
    let row = api_token::Entity::find_by_id(inserted.last_insert_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the token just made".to_owned()))?;
    let cap = match row.role {
        Some(role) => format!("at most {role}"),
        None => "the account's role".to_owned(),
    };
    let detail = format!(
        "API token {} \u{201c}{}\u{201d} made ({cap}; {} days)",
        row.id,
        row.name,
        new.days.get()
    );
    changes::record(&txn, &account, actor, "token-created", &detail).await?;
    txn.commit().await?;
    Ok(row)
}

/// Inside a write transaction: the account, enabled, its row locked
/// (shared) so that a disable or demotion waits for this change.
async fn enabled_account(txn: &impl ConnectionTrait, id: i64) -> Result<Account, TokenError> {
    registrar::Entity::find_by_id(id)
        .lock_shared()
        .one(txn)
        .await?
        .filter(|account| account.disabled_at.is_none())
        .ok_or(TokenError::NotEnabled)
}

/// The token `id`, whatever its state.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<ApiToken>, DbErr> {
    api_token::Entity::find_by_id(id).one(db).await
}

/// The account's tokens, newest first.
pub async fn of_account(
    db: &impl ConnectionTrait,
    account_id: i64,
) -> Result<Vec<ApiToken>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::AccountId.eq(account_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// Every token with its account's username, oldest first; only
/// `account_id`'s when given.
pub async fn listed(
    db: &impl ConnectionTrait,
    account_id: Option<i64>,
) -> Result<Vec<(ApiToken, String)>, DbErr> {
    let mut query = api_token::Entity::find().find_also_related(registrar::Entity);
    if let Some(id) = account_id {
        query = query.filter(api_token::Column::AccountId.eq(id));
    }
    Ok(query
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|(token, account)| {
            let username = account.map(|a| a.username).unwrap_or_default();
            (token, username)
        })
        .collect())
}

/// What a revocation found.
#[derive(Debug)]
pub enum Revocation {
    Revoked(ApiToken),
    /// It was revoked before; nothing was written.
    AlreadyRevoked(ApiToken),
    NotFound,
}

/// Revokes the token `id` (only if it is `owner`'s, when given): from now
/// on no request is accepted with it. An admin revoking it is re-checked.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor<'_>,
    id: i64,
    owner: Option<i64>,
) -> Result<Revocation, TokenError> {
    retry::write("token revoke", || revoke_once(db, actor, id, owner)).await
}

async fn revoke_once(
    db: &DatabaseConnection,
    actor: &Actor<'_>,
    id: i64,
    owner: Option<i64>,
) -> Result<Revocation, TokenError> {
    let txn = begin_write(db).await?;
    if let Actor::Admin { id: admin, .. } = actor {
        writer::recheck(&txn, *admin, Role::Admin).await?;
    }
    let mut query = api_token::Entity::find_by_id(id);
    if let Some(owner) = owner {
        query = query.filter(api_token::Column::AccountId.eq(owner));
    }
    let Some(token) = query.lock_exclusive().one(&txn).await? else {
        txn.rollback().await?;
        return Ok(Revocation::NotFound);
    };
    if token.revoked_at.is_some() {
        txn.rollback().await?;
        return Ok(Revocation::AlreadyRevoked(token));
    }
    let at = now();
    let by: String = actor.name().chars().take(64).collect();
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(at)))
        .col_expr(api_token::Column::RevokedBy, Expr::value(Some(by.clone())))
        .filter(api_token::Column::Id.eq(token.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let account = registrar::Entity::find_by_id(token.account_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the token's account".to_owned()))?;
    let detail = format!(
        "API token {} \u{201c}{}\u{201d} revoked",
        token.id, token.name
    );
    changes::record(&txn, &account, actor, "token-revoked", &detail).await?;
    txn.commit().await?;
    Ok(Revocation::Revoked(ApiToken {
        revoked_at: Some(at),
        revoked_by: Some(by),
        ..token
    }))
}
