//! Imports in the office's change log: one entry for all the rows an import
//! wrote, recorded by each of its batches in the batch's own transaction,
//! so the entry's count is the import's committed revisions, exactly.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::db::entities::{import_entry, revision};

pub type ImportEntry = import_entry::Model;

/// The import a batch belongs to, as its log entry names it.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub import_id: &'a str,
    pub registrar: &'a str,
    pub filename: &'a str,
    /// The rows the batch wrote (a revision each).
    pub written: u64,
}

/// Adds the rows `batch` wrote to its import's entry, in the batch's
/// transaction `txn`; the import's first batch to commit a write creates
/// the entry, at that batch's first revision.
///
/// Call it with the import's job row locked (its lease just renewed): the
/// batches of one import then take their turns here, and each finds the
/// entry of the one before (an `UPDATE` reads the latest committed row on
/// every backend), so exactly one creates it.
pub async fn record(txn: &DatabaseTransaction, batch: Batch<'_>) -> Result<(), DbErr> {
    if batch.written == 0 {
        return Ok(());
    }
    let written = i64::try_from(batch.written).unwrap_or(i64::MAX);
    let counted = import_entry::Entity::update_many()
        .col_expr(
            import_entry::Column::Rows,
            Expr::col(import_entry::Column::Rows).add(written),
        )
        .filter(import_entry::Column::ImportId.eq(batch.import_id))
        .exec(txn)
        .await?
        .rows_affected;
    if counted > 0 {
        return Ok(());
    }
    // No batch of this import has written before: every revision naming
    // it is this transaction's own.
    let Some(first) = revision::Entity::find()
        .filter(revision::Column::ImportId.eq(batch.import_id))
        .order_by_asc(revision::Column::At)
        .order_by_asc(revision::Column::Id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    import_entry::Entity::insert(import_entry::ActiveModel {
        import_id: Set(batch.import_id.to_owned()),
        registrar: Set(batch.registrar.to_owned()),
        filename: Set(batch.filename.to_owned()),
        first_revision: Set(first.id),
        at: Set(first.at),
        rows: Set(written),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
