//! The account as stored, and reading accounts.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::entities::{instance, registrar};

pub type Account = registrar::Model;

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
