//! The all-or-nothing mode of a confirm: every row locked and decided in
//! one transaction, which writes nothing unless every row is still clean.

use sea_orm::{DatabaseConnection, DbErr};

use super::attempts::{BatchError, Finish, outlasting, protocol_db_err};
use super::batches::{Decision, commands, decide, typed};
use super::lease::{Held, commit_decided};
use crate::db::begin_write;
use crate::db::entities::import_row::RowResult;
use crate::students::import::store::confirm::Decided;
use crate::students::import::store::imports::Import;
use crate::students::import::store::rows::{self as import_rows, StoredRow};
use crate::students::protocol::rows::{self, Refusal, RowCommand};

/// Most rows an all-or-nothing import may have: they are all locked in
/// one transaction, which holds every single save of those rows (and, on
/// SQLite, every write) until it ends.
pub const ALL_OR_NOTHING_ROWS: i64 = 5_000;

/// All or nothing: every row locked and decided in one transaction, which
/// commits only when none is refused; otherwise it is rolled back, and the
/// stale rows are kept as conflict entries in a transaction of their own.
pub(super) async fn all_or_nothing(
    db: &DatabaseConnection,
    import: &Import,
    held: &Held,
) -> Result<Finish, DbErr> {
    let rows = import_rows::first(db, &import.id, ALL_OR_NOTHING_ROWS as u64 + 1).await?;
    if rows.iter().any(|row| row.result.is_some()) {
        // Its one transaction committed before its instance stopped.
        return Ok(Finish::Done);
    }
    let decided = match outlasting(&import.id, "import all or nothing", || {
        try_all(db, import, &rows, held)
    })
    .await?
    {
        Ok(decided) => decided,
        Err(finish) => return Ok(finish),
    };
    if decided.iter().any(|d| d.result == RowResult::Refused) {
        // Nothing was written: keep the stale and deleted rows (as a
        // batch would), hold the clean ones.
        let typed = typed(&rows);
        let all = commands(&rows, &typed);
        let stale: Vec<RowCommand<'_>> = all
            .iter()
            .zip(&decided)
            .filter(|(_, d)| d.refusal.is_some_and(Refusal::is_kept))
            .map(|(command, _)| *command)
            .collect();
        let txn = begin_write(db).await?;
        rows::keep_refused(&txn, &import.registrar, &stale)
            .await
            .map_err(protocol_db_err)?;
        let results: Vec<Decided> = decided
            .iter()
            .map(|d| match d.result {
                RowResult::Refused => *d,
                _ => Decided {
                    seq: d.seq,
                    result: RowResult::Held,
                    version: None,
                    refusal: None,
                },
            })
            .collect();
        if !commit_decided(txn, import, &results, held).await? {
            return Ok(Finish::TakenOver);
        }
    }
    Ok(Finish::Done)
}

/// The all-or-nothing transaction: commits the writes only when every row
/// is clean; returns each row's decision either way (`None`: another
/// instance holds the job).
async fn try_all(
    db: &DatabaseConnection,
    import: &Import,
    rows: &[StoredRow],
    held: &Held,
) -> Result<Option<Vec<Decided>>, BatchError> {
    let Decision { txn, decided } = decide(db, import, rows).await?;
    if decided.iter().any(|d| d.result == RowResult::Refused) {
        // The conflict entries written above go with the rollback; the
        // caller keeps them again on their own.
        txn.rollback().await?;
        return Ok(Some(decided));
    }
    Ok(commit_decided(txn, import, &decided, held)
        .await?
        .then_some(decided))
}
