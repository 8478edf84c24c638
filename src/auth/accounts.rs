//! The office's accounts: creating, finding and listing them. Changes an
//! admin makes to an existing account are in [`crate::accounts::store`].

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};

use crate::accounts::changes::{self, Actor};
use crate::cluster::{Failure, HasFailure, retry};
use crate::db::entities::{instance, registrar};
use crate::db::{begin_write, now};
use crate::domain::Role;
use crate::domain::Username;

pub type Account = registrar::Model;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the username is taken")]
    UsernameTaken,
    /// The admin creating it is no longer one (or no longer enabled).
    #[error("{0}")]
    Refused(Box<crate::error::AppError>),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl HasFailure for CreateError {
    fn failure(&self) -> Failure {
        match self {
            CreateError::Database(err) => err.failure(),
            CreateError::Refused(err) => err.failure(),
            CreateError::UsernameTaken => Failure::Other,
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
        super::writer::recheck(&txn, *id, Role::Admin)
            .await
            .map_err(|e| CreateError::Refused(Box::new(e.into())))?;
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

/// Serialises what must see every account at once (the first account, the
/// last enabled admin).
pub async fn lock_instance(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    instance::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?;
    Ok(())
}

pub async fn any_exist(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(registrar::Entity::find().count(db).await? > 0)
}

pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username_key: &str,
) -> Result<Option<Account>, DbErr> {
    registrar::Entity::find()
        .filter(registrar::Column::UsernameKey.eq(username_key))
        .one(db)
        .await
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Account>, DbErr> {
    registrar::Entity::find()
        .order_by_asc(registrar::Column::UsernameKey)
        .all(db)
        .await
}

/// Disables the account and ends all its sessions; `false` if there is no
/// such account. The last enabled admin is refused (see
/// [`crate::accounts::store::change`]).
pub async fn disable(db: &DatabaseConnection, username: &Username) -> Result<bool, DbErr> {
    use crate::accounts::store::{self, Change, ChangeOutcome};
    let outcome = store::change(
        db,
        &Actor::CommandLine,
        &username.key(),
        None,
        Change::Enabled(false),
    )
    .await
    .map_err(|e| DbErr::Custom(e.to_string()))?;
    match outcome {
        ChangeOutcome::NotFound => Ok(false),
        ChangeOutcome::LastAdmin(_) => Err(DbErr::Custom(
            "the last enabled admin cannot be disabled".to_owned(),
        )),
        _ => Ok(true),
    }
}
