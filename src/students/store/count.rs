//! The exact number of live students, kept by every change that creates,
//! deletes or undeletes one, in its own transaction.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

use crate::db::entities::student_count;

/// Keeps the live-student count exact: every create and delete moves it in
/// the transaction that makes the change.
pub async fn adjust_live_count(txn: &DatabaseTransaction, delta: i64) -> Result<(), DbErr> {
    student_count::Entity::update_many()
        .col_expr(
            student_count::Column::Live,
            Expr::col(student_count::Column::Live).add(delta),
        )
        .filter(student_count::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

/// The number of live (not deleted) students, as kept by every change.
pub async fn live_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Ok(student_count::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |row| u64::try_from(row.live).unwrap_or(0)))
}
