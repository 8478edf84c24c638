//! Imports and their checked rows in the database: the only code that
//! writes them. Rows go in and come out in bounded batches, so no
//! statement carries more than a few hundred rows (MariaDB's
//! `max_allowed_packet`, every backend's limit on bound parameters).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, UpdateMany,
};

use super::parse::{Problem, ProblemAt, Row};
use crate::auth::tokens;
use crate::cluster::retry;
use crate::db::entities::import::{self, ImportState};
use crate::db::entities::import_row::{self, RowOutcome, RowResult};
use crate::db::entities::registrar;
use crate::db::now;
use crate::domain::{Field, StudentValues};

pub type Import = import::Model;
pub type StoredRow = import_row::Model;

/// Rows per INSERT: 13 values a row, at most a few hundred characters each.
pub const ROWS_PER_STATEMENT: usize = 200;

/// Imports one registrar may have waiting for a confirm at once.
pub const PENDING_PER_REGISTRAR: u64 = 5;

/// How long an import nobody confirmed waits (then [`sweep`] deletes it).
pub const PENDING_FOR: chrono::Duration = chrono::Duration::days(1);

/// How long a confirmed import's result and refused rows are kept after
/// it finished (then [`sweep`] deletes them).
pub const KEPT_FOR: chrono::Duration = chrono::Duration::days(7);

/// How long a check holds its import without renewing: one whose instance
/// stopped (killed) is failed once this has passed.
pub const CHECK_LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// What a failed check of an interrupted upload says.
pub const CHECK_INTERRUPTED: &str = "The server stopped while this file was being checked, \
     and nothing of it was imported. Upload the file again.";

/// Starts an import of `filename` for `registrar`, its rows still being
/// checked, if `registrar` has fewer than [`PENDING_PER_REGISTRAR`]
/// imports waiting (after [`make_room`]); returns its id, a random token,
/// or `None` when there is no room.
///
/// Counting and inserting are one transaction that holds the account's row
/// (SQLite: the database's write lock), so uploads sent at once by one
/// account are counted one after another and never pass the limit.
pub async fn create(
    db: &DatabaseConnection,
    registrar: &str,
    filename: &str,
) -> Result<Option<String>, DbErr> {
    retry::write("import upload", || async {
        let txn = crate::db::begin_write(db).await?;
        registrar::Entity::find()
            .filter(registrar::Column::Username.eq(registrar))
            .lock_exclusive()
            .one(&txn)
            .await?;
        fail_stalled_checks(&txn, Some(registrar)).await?;
        if !make_room(&txn, registrar).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        let id = insert(&txn, registrar, filename).await?;
        txn.commit().await?;
        Ok(Some(id))
    })
    .await
}

async fn insert(
    db: &impl ConnectionTrait,
    registrar: &str,
    filename: &str,
) -> Result<String, DbErr> {
    let id = tokens::random_token();
    let at = now();
    import::Entity::insert(import::ActiveModel {
        id: Set(id.clone()),
        registrar: Set(registrar.to_owned()),
        filename: Set(filename
            .chars()
            .filter(|c| !c.is_control())
            .take(255)
            .collect()),
        rows: Set(0),
        created_at: Set(at),
        state: Set(ImportState::Checking),
        all_or_nothing: Set(false),
        lease_until: Set(Some(at + CHECK_LEASE)),
        written: Set(0),
        refused: Set(0),
        failure: Set(None),
        finished_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

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
        insert.into_table(import_row::Entity).columns([
            import_row::Column::ImportId,
            import_row::Column::Seq,
            import_row::Column::Line,
            import_row::Column::StudentId,
            import_row::Column::Version,
            import_row::Column::Name,
            import_row::Column::Address,
            import_row::Column::Gpa,
            import_row::Column::Outcome,
            import_row::Column::Messages,
        ]);
        for new in chunk {
            let row = new.row;
            let [name, address, gpa] = match &row.checked {
                Ok(fields) => [
                    fields.name.to_string(),
                    fields.address.to_string(),
                    fields.gpa.to_string(),
                ],
                Err(_) => row.raw.clone(),
            };
            let messages = row.checked.as_ref().err().map(|problems| encode(problems));
            let values: [SimpleExpr; 10] = [
                id.into(),
                new.seq.into(),
                i64::try_from(row.line).unwrap_or(i64::MAX).into(),
                row.id.into(),
                row.version.into(),
                name.into(),
                address.into(),
                gpa.into(),
                new.outcome.into(),
                messages.into(),
            ];
            insert.values_panic(values);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Problems as stored: one `field<TAB>message` a line.
fn encode(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}\t{}", p.at.name(), super::parse::keep(&p.message)))
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

/// Marks every row whose id appears more than once in the file invalid.
pub async fn mark_duplicates(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    let mut marked = 0;
    loop {
        let twice: Vec<i64> = import_row::Entity::find()
            .select_only()
            .column(import_row::Column::StudentId)
            .filter(import_row::Column::ImportId.eq(id))
            .filter(import_row::Column::StudentId.is_not_null())
            .filter(import_row::Column::Messages.is_null())
            .group_by(import_row::Column::StudentId)
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
            .col_expr(
                import_row::Column::Messages,
                Expr::value(
                    "id\tThis id appears more than once in the file: keep one row per student.",
                ),
            )
            .filter(import_row::Column::ImportId.eq(id))
            .filter(import_row::Column::StudentId.is_in(twice))
            .exec(db)
            .await?
            .rows_affected;
    }
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

/// Deletes import `id` and its rows.
pub async fn discard(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    import_row::Entity::delete_many()
        .filter(import_row::Column::ImportId.eq(id))
        .exec(db)
        .await?;
    import::Entity::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// Whether `id` could be an import's id: anything else names no import
/// (and never reaches the database).
pub fn well_formed(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `registrar`'s import `id`, if there is one.
pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
    registrar: &str,
) -> Result<Option<Import>, DbErr> {
    if !well_formed(id) {
        return Ok(None);
    }
    let found = import::Entity::find_by_id(id.to_owned())
        .filter(import::Column::Registrar.eq(registrar))
        .one(db)
        .await?;
    Ok(found.filter(|import| import.id == id))
}

/// Import `id`, whoever uploaded it.
///
/// Ids are compared exactly: MariaDB's collation would match them
/// whatever their case, and ids differing only in case are different
/// imports (see [`well_formed`]).
pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<Import>, DbErr> {
    let found = import::Entity::find_by_id(id.to_owned()).one(db).await?;
    Ok(found.filter(|import| import.id == id))
}

/// How many imports `registrar` has being checked or waiting for a confirm.
pub async fn pending_count(db: &impl ConnectionTrait, registrar: &str) -> Result<u64, DbErr> {
    import::Entity::find()
        .filter(import::Column::Registrar.eq(registrar))
        .filter(import::Column::State.is_in([ImportState::Checking, ImportState::Pending]))
        .count(db)
        .await
}

/// Makes room under [`PENDING_PER_REGISTRAR`] by discarding `registrar`'s
/// waiting imports that can never be confirmed (they have invalid or
/// unknown rows), oldest first; returns whether there is room now.
pub async fn make_room(db: &impl ConnectionTrait, registrar: &str) -> Result<bool, DbErr> {
    let mut waiting = pending_count(db, registrar).await?;
    if waiting < PENDING_PER_REGISTRAR {
        return Ok(true);
    }
    let pending: Vec<String> = import::Entity::find()
        .select_only()
        .column(import::Column::Id)
        .filter(import::Column::Registrar.eq(registrar))
        .filter(import::Column::State.eq(ImportState::Pending))
        .order_by_asc(import::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    for id in pending {
        let dead = import_row::Entity::find()
            .filter(import_row::Column::ImportId.eq(&id))
            .filter(import_row::Column::Outcome.is_in([RowOutcome::Invalid, RowOutcome::Unknown]))
            .one(db)
            .await?
            .is_some();
        if dead {
            discard(db, &id).await?;
            waiting -= 1;
            if waiting < PENDING_PER_REGISTRAR {
                return Ok(true);
            }
        }
    }
    Ok(false)
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

/// Deletes imports nobody confirmed within [`PENDING_FOR`], results
/// finished more than [`KEPT_FOR`] ago, and uploads still being checked
/// after an hour (their instance stopped).
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let now = now();
    let old: Vec<String> = import::Entity::find()
        .select_only()
        .column(import::Column::Id)
        .filter(
            import::Column::State
                .eq(ImportState::Pending)
                .and(import::Column::CreatedAt.lte(now - PENDING_FOR))
                .or(import::Column::State
                    .eq(ImportState::Checking)
                    .and(import::Column::CreatedAt.lte(now - chrono::Duration::hours(1))))
                .or(import::Column::State
                    .is_in([ImportState::Done, ImportState::Failed])
                    .and(import::Column::FinishedAt.lte(now - KEPT_FOR))),
        )
        .into_tuple()
        .all(db)
        .await?;
    for id in &old {
        discard(db, id).await?;
    }
    Ok(old.len() as u64)
}

/// A stored row's values, typed: a valid row's columns are canonical
/// (written from [`StudentValues`] when the file was checked), so this
/// reads them back; `None` for a row that was not valid.
pub fn values_of(row: &StoredRow) -> Option<StudentValues> {
    if row.outcome == RowOutcome::Invalid {
        return None;
    }
    StudentValues::parse(|field| {
        Ok(match field {
            Field::Name => row.name.as_str(),
            Field::Address => row.address.as_str(),
            Field::Gpa => row.gpa.as_str(),
        })
    })
    .ok()
}
