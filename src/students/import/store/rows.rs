//! The `import_rows` table: the checked rows the upload's check stores (in
//! bounded batches) and marks duplicate, and reading them back for the
//! preview, the result, the refused rows' CSV and the confirm. (Each row's
//! result is recorded by [`super::confirm`].)

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::entities::import_row::{self, RowOutcome, RowResult};
use crate::students::import::parse::cells::keep;
use crate::students::import::parse::problems::{Problem, ProblemAt};
use crate::students::import::parse::row::Row;
use crate::students::store::columns;

pub type StoredRow = import_row::Model;

/// Rows per INSERT: 13 values a row, at most a few hundred characters each.
pub const ROWS_PER_STATEMENT: usize = 200;

/// A checked row as it is stored: its place in the file and its outcome.
pub struct NewRow<'a> {
    pub seq: i64,
    pub row: &'a Row,
    pub outcome: RowOutcome,
}

/// Stores `rows` of import `id`, [`ROWS_PER_STATEMENT`] to a statement.
pub async fn insert_rows(
    db: &impl ConnectionTrait,
    id: &str,
    rows: &[NewRow<'_>],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert.into_table(import_row::Entity).columns(
            [
                import_row::Column::ImportId,
                import_row::Column::Seq,
                import_row::Column::Line,
                import_row::Column::StudentId,
                import_row::Column::Version,
                import_row::Column::Outcome,
                import_row::Column::Messages,
            ]
            .into_iter()
            .chain(columns::IMPORT_ROW),
        );
        for new in chunk {
            let row = new.row;
            let messages = row.checked.as_ref().err().map(|problems| encode(problems));
            let head: [SimpleExpr; 7] = [
                id.into(),
                new.seq.into(),
                i64::try_from(row.line).unwrap_or(i64::MAX).into(),
                row.id.into(),
                row.version.into(),
                new.outcome.into(),
                messages.into(),
            ];
            let values =
                columns::import_row_values(row.checked.as_ref().ok(), &row.raw, row.absent);
            insert.values_panic(head.into_iter().chain(values));
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Problems as stored: one `field<TAB>message` a line.
fn encode(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}\t{}", p.at.name(), keep(&p.message)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The problems of a stored invalid row.
pub fn problems(row: &StoredRow) -> Vec<Problem> {
    let line = u64::try_from(row.line).unwrap_or(0);
    row.messages
        .as_deref()
        .unwrap_or_default()
        .lines()
        .map(|entry| {
            let (at, message) = entry.split_once('\t').unwrap_or(("file", entry));
            Problem {
                line,
                at: ProblemAt::from_name(at),
                message: message.to_owned(),
            }
        })
        .collect()
}

/// Gives rows `seqs` of import `id` the problem `message` at `at` (found
/// when the row was written, not when it was read).
pub async fn set_problem(
    db: &impl ConnectionTrait,
    id: &str,
    seqs: &[i64],
    at: ProblemAt,
    message: &str,
) -> Result<(), DbErr> {
    let stored = format!("{}\t{}", at.name(), keep(message));
    for chunk in seqs.chunks(ROWS_PER_STATEMENT) {
        import_row::Entity::update_many()
            .col_expr(import_row::Column::Messages, Expr::value(stored.clone()))
            .filter(import_row::Column::ImportId.eq(id))
            .filter(import_row::Column::Seq.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Marks every row whose id appears more than once in the file invalid.
pub async fn mark_duplicates(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    let given = import_row::Column::StudentId.is_not_null();
    mark_given_twice::<i64>(
        db,
        id,
        import_row::Column::StudentId,
        given,
        "id\tThis id appears more than once in the file: keep one row per student.",
    )
    .await
}

/// Marks invalid the rows that give a student number another row of the
/// file gives too (a number belongs to one student); the count marked.
pub async fn mark_duplicate_numbers(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    let given = import_row::Column::StudentNumber
        .is_not_null()
        .and(import_row::Column::StudentNumber.ne(""));
    mark_given_twice::<String>(
        db,
        id,
        import_row::Column::StudentNumber,
        given,
        "student_number\tThis student number appears on more than one row of the file: a \
         number belongs to one student.",
    )
    .await
}

/// Marks invalid (with `problem`) every still-valid row of import `id`
/// whose `column`, where `given`, holds a value another such row holds;
/// the count marked.
async fn mark_given_twice<T>(
    db: &impl ConnectionTrait,
    id: &str,
    column: import_row::Column,
    given: SimpleExpr,
    problem: &str,
) -> Result<u64, DbErr>
where
    T: sea_orm::TryGetableMany + Into<sea_orm::Value>,
{
    let mut marked = 0;
    loop {
        let twice: Vec<T> = import_row::Entity::find()
            .select_only()
            .column(column)
            .filter(import_row::Column::ImportId.eq(id))
            .filter(given.clone())
            .filter(import_row::Column::Messages.is_null())
            .group_by(column)
            .having(Expr::col(import_row::Column::Seq).count().gt(1))
            .limit(ROWS_PER_STATEMENT as u64)
            .into_tuple()
            .all(db)
            .await?;
        if twice.is_empty() {
            return Ok(marked);
        }
        marked += import_row::Entity::update_many()
            .col_expr(
                import_row::Column::Outcome,
                Expr::value(RowOutcome::Invalid),
            )
            .col_expr(import_row::Column::Messages, Expr::value(problem))
            .filter(import_row::Column::ImportId.eq(id))
            .filter(column.is_in(twice))
            .exec(db)
            .await?
            .rows_affected;
    }
}

/// Rows per outcome.
pub async fn counts(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<BTreeMap<RowOutcome, u64>, DbErr> {
    let counted: Vec<(RowOutcome, i64)> = import_row::Entity::find()
        .select_only()
        .column(import_row::Column::Outcome)
        .column_as(import_row::Column::Seq.count(), "n")
        .filter(import_row::Column::ImportId.eq(id))
        .group_by(import_row::Column::Outcome)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counted
        .into_iter()
        .map(|(outcome, n)| (outcome, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The first `limit` rows of one of `outcomes`, in file order.
pub async fn rows_with(
    db: &impl ConnectionTrait,
    id: &str,
    outcomes: &[RowOutcome],
    limit: u64,
) -> Result<Vec<StoredRow>, DbErr> {
    import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Outcome.is_in(outcomes.iter().copied()))
        .order_by_asc(import_row::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// The rows the confirm left with `result`, after `after_seq`, in file
/// order, at most `limit`.
pub async fn rows_resulting(
    db: &impl ConnectionTrait,
    id: &str,
    result: RowResult,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<StoredRow>, DbErr> {
    import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Result.eq(result))
        .filter(import_row::Column::Seq.gt(after_seq))
        .order_by_asc(import_row::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// Row `seq` of import `id`.
pub async fn row(
    db: &impl ConnectionTrait,
    id: &str,
    seq: i64,
) -> Result<Option<StoredRow>, DbErr> {
    import_row::Entity::find_by_id((id.to_owned(), seq))
        .one(db)
        .await
}

/// The confirm's next rows: at most `limit` rows without a result, after
/// `after_seq`, in file order.
pub async fn undecided(
    db: &impl ConnectionTrait,
    id: &str,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<StoredRow>, DbErr> {
    import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Seq.gt(after_seq))
        .filter(import_row::Column::Result.is_null())
        .order_by_asc(import_row::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// The first `limit` rows, in file order, whatever their outcome or result.
pub async fn first(
    db: &impl ConnectionTrait,
    id: &str,
    limit: u64,
) -> Result<Vec<StoredRow>, DbErr> {
    import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .order_by_asc(import_row::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// How many rows the confirm has decided (they have a result).
pub async fn decided_count(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Result.is_not_null())
        .count(db)
        .await
}

/// How many rows the confirm left with `result`.
pub async fn count_resulting(
    db: &impl ConnectionTrait,
    id: &str,
    result: RowResult,
) -> Result<u64, DbErr> {
    import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(id))
        .filter(import_row::Column::Result.eq(result))
        .count(db)
        .await
}
