//! Uploaded files that passed every check, waiting in the database between
//! the preview and the confirm (so any app instance can finish the import).

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};

use crate::auth::tokens;
use crate::db::entities::import as pending;
use crate::db::now;

pub type Upload = pending::Model;

/// Keeps `csv` (of `rows` valid rows) for `registrar`; returns its id, a
/// random token.
pub async fn save(
    db: &impl ConnectionTrait,
    registrar: &str,
    filename: &str,
    csv: String,
    rows: usize,
) -> Result<String, DbErr> {
    let id = tokens::random_token();
    pending::Entity::insert(pending::ActiveModel {
        id: Set(id.clone()),
        registrar: Set(registrar.to_owned()),
        filename: Set(filename
            .chars()
            .filter(|c| !c.is_control())
            .take(255)
            .collect()),
        csv: Set(csv),
        rows: Set(i64::try_from(rows).unwrap_or(i64::MAX)),
        created_at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// `registrar`'s upload `id`, if there is one.
pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
    registrar: &str,
) -> Result<Option<Upload>, DbErr> {
    // Ids are random tokens: anything else names no upload (and never
    // reaches the database).
    let well_formed = id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Ok(None);
    }
    pending::Entity::find_by_id(id.to_owned())
        .filter(pending::Column::Registrar.eq(registrar))
        .one(db)
        .await
}

/// Takes the upload out in `txn`: `false` if it was already taken (a
/// double click, another tab), so it is never imported twice.
pub async fn take(txn: &DatabaseTransaction, id: &str) -> Result<bool, DbErr> {
    let taken = pending::Entity::delete_by_id(id.to_owned())
        .exec(txn)
        .await?
        .rows_affected;
    Ok(taken == 1)
}

/// Deletes uploads nobody confirmed within a day.
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let result = pending::Entity::delete_many()
        .filter(pending::Column::CreatedAt.lte(now() - chrono::Duration::days(1)))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
