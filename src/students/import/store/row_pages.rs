//! An import's rows a page at a time, so that every row can be reviewed
//! (contract §12): in file order, of one outcome or all, found by a cursor
//! on the row's place in the file (`seq`), so a page deep in a large file
//! costs what the first one does (the primary key is `(import_id, seq)`).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::rows::StoredRow;
use crate::db::entities::import_row::{self, RowOutcome};

/// Where a page of rows starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsAt {
    /// The first rows of the file.
    Start,
    /// The rows just after row `seq`.
    After(i64),
    /// The rows just before row `seq`.
    Before(i64),
}

/// The rows of import `id` (of `outcome`, or all).
fn rows_of(id: &str, outcome: Option<RowOutcome>) -> Select<import_row::Entity> {
    let rows = import_row::Entity::find().filter(import_row::Column::ImportId.eq(id));
    match outcome {
        Some(outcome) => rows.filter(import_row::Column::Outcome.eq(outcome)),
        None => rows,
    }
}

/// At most `limit` rows of import `id` (of `outcome`, or all) from `at`,
/// in file order.
pub async fn page(
    db: &impl ConnectionTrait,
    id: &str,
    outcome: Option<RowOutcome>,
    at: RowsAt,
    limit: u64,
) -> Result<Vec<StoredRow>, DbErr> {
    let rows = rows_of(id, outcome);
    match at {
        RowsAt::Start => {
            rows.order_by_asc(import_row::Column::Seq)
                .limit(limit)
                .all(db)
                .await
        }
        RowsAt::After(seq) => {
            rows.filter(import_row::Column::Seq.gt(seq))
                .order_by_asc(import_row::Column::Seq)
                .limit(limit)
                .all(db)
                .await
        }
        RowsAt::Before(seq) => {
            let mut rows = rows
                .filter(import_row::Column::Seq.lt(seq))
                .order_by_desc(import_row::Column::Seq)
                .limit(limit)
                .all(db)
                .await?;
            rows.reverse();
            Ok(rows)
        }
    }
}

/// Whether import `id` has a row (of `outcome`, or any) after row `seq`.
pub async fn any_after(
    db: &impl ConnectionTrait,
    id: &str,
    outcome: Option<RowOutcome>,
    seq: i64,
) -> Result<bool, DbErr> {
    Ok(rows_of(id, outcome)
        .filter(import_row::Column::Seq.gt(seq))
        .select_only()
        .column(import_row::Column::Seq)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// How many rows of import `id` (of `outcome`, or all) come before row
/// `seq`: where a page starts, as "rows 51–100" says it.
pub async fn count_before(
    db: &impl ConnectionTrait,
    id: &str,
    outcome: Option<RowOutcome>,
    seq: i64,
) -> Result<u64, DbErr> {
    rows_of(id, outcome)
        .filter(import_row::Column::Seq.lt(seq))
        .count(db)
        .await
}
