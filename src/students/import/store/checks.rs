//! An upload's check in the `imports` table: the lease the check holds on
//! its import while it reads the file, and how the check ends (the import
//! waiting for its confirm, or failed saying why).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, UpdateMany};

use crate::db::entities::import::{self, ImportState};
use crate::db::now;

/// How long a check holds its import without renewing: one whose instance
/// stopped (killed) is failed once this has passed.
pub const CHECK_LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// What a failed check of an interrupted upload says.
pub const CHECK_INTERRUPTED: &str = "The server stopped while this file was being checked, \
     and nothing of it was imported. Upload the file again.";

/// Renews the check's hold on import `id`; `false` when it is no longer
/// being checked (failed as interrupted meanwhile): the check stops.
pub async fn renew_check(db: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    let renewed = import::Entity::update_many()
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(Some(now() + CHECK_LEASE)),
        )
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::State.eq(ImportState::Checking))
        .exec(db)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Fails the checks (of `registrar`, or everyone's) whose instance stopped
/// renewing them: their page says so, and they no longer count as waiting.
pub async fn fail_stalled_checks(
    db: &impl ConnectionTrait,
    registrar: Option<&str>,
) -> Result<u64, DbErr> {
    let mut stalled = failing_checks(CHECK_INTERRUPTED).filter(
        import::Column::LeaseUntil
            .lt(now())
            .or(import::Column::LeaseUntil.is_null()),
    );
    if let Some(registrar) = registrar {
        stalled = stalled.filter(import::Column::Registrar.eq(registrar));
    }
    Ok(stalled.exec(db).await?.rows_affected)
}

/// Fails the checks of `ids` at once (this instance is stopping).
pub async fn fail_checks(db: &impl ConnectionTrait, ids: &[String]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let failed = failing_checks(CHECK_INTERRUPTED)
        .filter(import::Column::Id.is_in(ids.iter().cloned()))
        .exec(db)
        .await?;
    Ok(failed.rows_affected)
}

/// The update that fails imports still being checked, saying `why`.
fn failing_checks(why: &str) -> UpdateMany<import::Entity> {
    import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Failed))
        .col_expr(import::Column::Failure, Expr::value(Some(why.to_owned())))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(now())))
        .filter(import::Column::State.eq(ImportState::Checking))
}

/// The checked import, waiting for its confirm.
///
/// On PostgreSQL the table's statistics are brought up to date first when
/// the file was large: a table just filled by one import looks to the
/// planner like a few rows of many imports, and it then finds a batch's
/// rows through the import's whole list instead of by `(import_id, seq)`
/// (measured: 100 rows of a 20,000-row import, 10 ms instead of 0.3 ms, and
/// worse as the import grows). Autovacuum would get there, a minute later.
pub async fn finish_checking(db: &impl ConnectionTrait, id: &str, rows: i64) -> Result<(), DbErr> {
    if rows >= ANALYZE_FROM_ROWS && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE import_rows").await?;
    }
    import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Pending))
        .col_expr(import::Column::Rows, Expr::value(rows))
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::State.eq(ImportState::Checking))
        .exec(db)
        .await?;
    Ok(())
}

/// Rows of a checked file from which [`finish_checking`] analyzes.
const ANALYZE_FROM_ROWS: i64 = 5_000;

/// The check of import `id` found nothing to import: failed, saying why.
pub async fn fail_check(db: &impl ConnectionTrait, id: &str, why: &str) -> Result<(), DbErr> {
    failing_checks(why)
        .filter(import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
