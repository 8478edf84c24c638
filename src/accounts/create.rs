//! Creating accounts: by an admin, by `registrar user add`, by the first
//! visit's setup. Changes to an existing account are in [`super::store`].

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseConnection,
    DbErr, SqlErr,
};

use super::account::{Account, any_exist, lock_instance};
use super::changes::{self, Actor};
use crate::auth::writer::{self, WriteRefused};
use crate::cluster::{Failure, HasFailure, retry};
use crate::db::begin_write;
use crate::db::entities::registrar;
use crate::db::now;
use crate::domain::Role;
use crate::domain::Username;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the username is taken")]
    UsernameTaken,
    /// The admin creating it is no longer one (or no longer enabled).
    #[error(transparent)]
    Refused(WriteRefused),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<WriteRefused> for CreateError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Database(err) => CreateError::Database(err),
            refused => CreateError::Refused(refused),
        }
    }
}

impl HasFailure for CreateError {
    fn failure(&self) -> Failure {
        match self {
            CreateError::Database(err) => err.failure(),
            CreateError::Refused(_) | CreateError::UsernameTaken => Failure::Other,
        }
    }
}

/// What a new account is given.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a Username,
    pub password_hash: String,
    /// The role asked for; the first account is an admin whatever is asked.
    pub role: Role,
    /// Signing in leads to `/account` to choose a new password first.
    pub must_change_password: bool,
}

async fn insert(
    db: &impl ConnectionTrait,
    account: &NewAccount<'_>,
    role: Role,
) -> Result<Account, CreateError> {
    registrar::ActiveModel {
        id: NotSet,
        username: Set(account.username.to_string()),
        username_key: Set(account.username.key()),
        password_hash: Set(account.password_hash.clone()),
        created_at: Set(now()),
        disabled_at: Set(None),
        role: Set(role),
        version: Set(1),
        must_change_password: Set(account.must_change_password),
        last_sign_in_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CreateError::UsernameTaken,
        _ => CreateError::Database(err),
    })
}

/// Creates an account (usernames are unique regardless of case): an admin
/// if it is the first, else with the role asked for. Concurrent creations
/// queue on the `instance` row, so exactly one of them is first.
pub async fn create_account(
    db: &DatabaseConnection,
    account: &NewAccount<'_>,
    actor: &Actor<'_>,
) -> Result<Account, CreateError> {
    retry::write("account create", || create_account_once(db, account, actor)).await
}

async fn create_account_once(
    db: &DatabaseConnection,
    account: &NewAccount<'_>,
    actor: &Actor<'_>,
) -> Result<Account, CreateError> {
    let txn = begin_write(db).await?;
    lock_instance(&txn).await?;
    if let Actor::Admin { id, .. } = actor {
        writer::recheck(&txn, *id, Role::Admin).await?;
    }
    let role = if any_exist(&txn).await? {
        account.role
    } else {
        Role::Admin
    };
    let created = insert(&txn, account, role).await?;
    let detail = format!("created as {role}");
    changes::record(&txn, &created, actor, "created", &detail).await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates a registrar account as `registrar user add` does by default.
pub async fn create(
    db: &DatabaseConnection,
    username: &Username,
    password_hash: String,
) -> Result<Account, CreateError> {
    let account = NewAccount {
        username,
        password_hash,
        role: Role::Registrar,
        must_change_password: false,
    };
    create_account(db, &account, &Actor::CommandLine).await
}

/// Creates the first account, an admin, if there is still none:
/// concurrent setups queue on the `instance` row, and all but the first
/// find an account.
pub async fn create_first(
    db: &DatabaseConnection,
    username: &Username,
    password_hash: String,
) -> Result<Option<Account>, CreateError> {
    retry::write("first account", || {
        create_first_once(db, username, password_hash.clone())
    })
    .await
}

async fn create_first_once(
    db: &DatabaseConnection,
    username: &Username,
    password_hash: String,
) -> Result<Option<Account>, CreateError> {
    let txn = begin_write(db).await?;
    lock_instance(&txn).await?;
    if any_exist(&txn).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let account = NewAccount {
        username,
        password_hash,
        role: Role::Admin,
        must_change_password: false,
    };
    let created = insert(&txn, &account, Role::Admin).await?;
    changes::record(&txn, &created, &Actor::Setup, "created", "created as admin").await?;
    txn.commit().await?;
    Ok(Some(created))
}
