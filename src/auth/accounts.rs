//! Registrar accounts: the only code that writes them.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};

use crate::db::entities::{instance, registrar, session};
use crate::db::{begin_write, now};
use crate::domain::Username;

pub type Account = registrar::Model;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Database(#[from] DbErr),
}

async fn insert(
    db: &impl ConnectionTrait,
    username: &Username,
    password_hash: String,
) -> Result<Account, CreateError> {
    registrar::ActiveModel {
        id: NotSet,
        username: Set(username.to_string()),
        username_key: Set(username.key()),
        password_hash: Set(password_hash),
        created_at: Set(now()),
        disabled_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CreateError::UsernameTaken,
        _ => CreateError::Database(err),
    })
}

/// Creates an account (usernames are unique regardless of case).
pub async fn create(
    db: &DatabaseConnection,
    username: &Username,
    password_hash: String,
) -> Result<Account, CreateError> {
    insert(db, username, password_hash).await
}

/// Creates the first account, if there is still none: concurrent setups
/// queue on the `instance` row, and all but the first find an account.
pub async fn create_first(
    db: &DatabaseConnection,
    username: &Username,
    password_hash: String,
) -> Result<Option<Account>, CreateError> {
    let txn = begin_write(db).await?;
    instance::Entity::find_by_id(1)
        .lock_exclusive()
        .one(&txn)
        .await?;
    if registrar::Entity::find().count(&txn).await? > 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let account = insert(&txn, username, password_hash).await?;
    txn.commit().await?;
    Ok(Some(account))
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
/// such account.
pub async fn disable(db: &DatabaseConnection, username: &Username) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let Some(account) = find_by_username(&txn, &username.key()).await? else {
        return Ok(false);
    };
    registrar::Entity::update_many()
        .col_expr(registrar::Column::DisabledAt, Expr::value(Some(now())))
        .filter(registrar::Column::Id.eq(account.id))
        .filter(registrar::Column::DisabledAt.is_null())
        .exec(&txn)
        .await?;
    session::Entity::delete_many()
        .filter(session::Column::RegistrarId.eq(account.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}
