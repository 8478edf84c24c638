//! What the confirm job ([`crate::students::import::job`]) writes: its
//! import's state, lease and counts in `imports`, and each row's result in
//! `import_rows`. The job decides when; a running job is moved on (renewed,
//! finished, failed, taken over) only while the lease it is given is still
//! the job's.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::rows::set_problem;
use crate::db::entities::import::{self, ImportState};
use crate::db::entities::import_row::RowResult;
use crate::db::joined::{JoinedUpdate, Typed};
use crate::db::now;
use crate::domain::Field;
use crate::students::import::parse::problems::ProblemAt;
use crate::students::protocol::rows::Refusal;
use crate::students::store::bulk::UPDATES_PER_STATEMENT;

/// What a row refused for a student number taken since the file was
/// checked says, as its problem (the result page, the refused rows' CSV).
pub const NUMBER_TAKEN: &str = "This student number was given to another student after the \
     file was checked, so the row was not written.";

/// What became of one row of the confirm.
#[derive(Debug, Clone, Copy)]
pub struct Decided {
    pub seq: i64,
    pub result: RowResult,
    pub version: Option<i64>,
    /// Why a refused row was refused.
    pub refusal: Option<Refusal>,
}

/// How many of `decided` have `result`.
pub fn counted(decided: &[Decided], result: RowResult) -> u64 {
    decided.iter().filter(|d| d.result == result).count() as u64
}

/// Marks import `id` running (all or nothing, or not) with `lease`, if it
/// is still waiting for its confirm; `false` when it is not (a second
/// confirm finds it running).
pub async fn mark_running(
    db: &impl ConnectionTrait,
    id: &str,
    all_or_nothing: bool,
    lease: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let started = import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Running))
        .col_expr(import::Column::AllOrNothing, Expr::value(all_or_nothing))
        .col_expr(import::Column::LeaseUntil, Expr::value(Some(lease)))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::State.eq(ImportState::Pending))
        .exec(db)
        .await?
        .rows_affected;
    Ok(started == 1)
}

/// Moves the lease on to `renewed` and the job's counts by `decided`, if
/// `lease` is still the job's; `false` when it is not (another instance
/// moved it). The update locks the job's row until `txn` ends.
pub async fn renew(
    txn: &DatabaseTransaction,
    id: &str,
    lease: DateTime<Utc>,
    renewed: DateTime<Utc>,
    decided: &[Decided],
) -> Result<bool, DbErr> {
    let count = |result| counted(decided, result) as i64;
    let held = import::Entity::update_many()
        .col_expr(import::Column::LeaseUntil, Expr::value(Some(renewed)))
        .col_expr(
            import::Column::Written,
            Expr::col(import::Column::Written).add(count(RowResult::Written)),
        )
        .col_expr(
            import::Column::Refused,
            Expr::col(import::Column::Refused).add(count(RowResult::Refused)),
        )
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::State.eq(ImportState::Running))
        .filter(import::Column::LeaseUntil.eq(lease))
        .exec(txn)
        .await?
        .rows_affected;
    Ok(held == 1)
}

/// Every row's result; a row refused for a student number taken since
/// the check gets that problem, so the result can say why.
pub async fn record_results(
    txn: &DatabaseTransaction,
    id: &str,
    decided: &[Decided],
) -> Result<(), DbErr> {
    for chunk in decided.chunks(UPDATES_PER_STATEMENT) {
        let values = chunk.iter().map(|row| -> [Typed; 3] {
            [
                (row.seq.into(), "bigint"),
                (row.result.into(), "text"),
                (row.version.into(), "bigint"),
            ]
        });
        let statement = JoinedUpdate::new(
            txn.get_database_backend(),
            "import_rows",
            &["seq", "result", "version"],
            values,
            "import_rows.seq = v.seq",
        )
        .set("result", "v.result")
        .set("result_version", "v.version")
        .filter_eq("import_id", id.into())
        .build(None);
        txn.execute_raw(statement).await?;
    }
    let taken: Vec<i64> = decided
        .iter()
        .filter(|d| d.refusal == Some(Refusal::NumberTaken))
        .map(|d| d.seq)
        .collect();
    set_problem(
        txn,
        id,
        &taken,
        ProblemAt::Field(Field::Number),
        NUMBER_TAKEN,
    )
    .await
}

/// Marks the job done, if `lease` is still its; `false` when it is not.
pub async fn finish(
    db: &DatabaseConnection,
    id: &str,
    lease: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Done))
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(import::Column::FinishedAt, Expr::value(Some(now())))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::LeaseUntil.eq(lease))
        .exec(db)
        .await?
        .rows_affected;
    Ok(done == 1)
}

/// Marks the job failed, saying why (only while `lease` is still its).
pub async fn fail(
    db: &DatabaseConnection,
    id: &str,
    lease: DateTime<Utc>,
    why: &str,
) -> Result<(), DbErr> {
    import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Failed))
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(import::Column::FinishedAt, Expr::value(Some(now())))
        .col_expr(
            import::Column::Failure,
            Expr::value(Some(why.chars().take(200).collect::<String>())),
        )
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::LeaseUntil.eq(lease))
        .exec(db)
        .await?;
    Ok(())
}

/// The running jobs whose lease ran out (or that have none), with that
/// lease.
pub async fn stalled(
    db: &DatabaseConnection,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>, DbErr> {
    import::Entity::find()
        .select_only()
        .column(import::Column::Id)
        .column(import::Column::LeaseUntil)
        .filter(import::Column::State.eq(ImportState::Running))
        .filter(
            import::Column::LeaseUntil
                .lt(now())
                .or(import::Column::LeaseUntil.is_null()),
        )
        .into_tuple()
        .all(db)
        .await
}

/// Takes running job `id` over with `lease`, if its lease is still `old`;
/// `false` when another instance took it first.
pub async fn take_over(
    db: &DatabaseConnection,
    id: &str,
    old: Option<DateTime<Utc>>,
    lease: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut take = import::Entity::update_many()
        .col_expr(import::Column::LeaseUntil, Expr::value(Some(lease)))
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::State.eq(ImportState::Running));
    take = match old {
        Some(old) => take.filter(import::Column::LeaseUntil.eq(old)),
        None => take.filter(import::Column::LeaseUntil.is_null()),
    };
    Ok(take.exec(db).await?.rows_affected == 1)
}
