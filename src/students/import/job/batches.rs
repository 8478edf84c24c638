//! The default mode of a confirm: the rows not yet decided, a few batches
//! at a time, each batch one short transaction through the write core.

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::attempts::{BatchError, Finish, outlasting};
use super::lease::{Held, commit_decided};
use crate::db::begin_write;
use crate::domain::StudentValues;
use crate::students::import::store::confirm::Decided;
use crate::students::import::store::imports::Import;
use crate::students::import::store::rows::{self as import_rows, StoredRow};
use crate::students::protocol::rows::{self, RowCommand};
use crate::students::values;

/// Rows one batch transaction writes.
pub const BATCH_ROWS: u64 = 500;
/// Batches of one job in flight at once. SQLite has one writer: a second
/// batch would only wait for the first.
fn batches_in_flight(backend: sea_orm::DbBackend) -> usize {
    match backend {
        sea_orm::DbBackend::Sqlite => 1,
        _ => 2,
    }
}

/// The default mode: the rows not yet decided, in file order, a few
/// batches at a time ([`batches_in_flight`]), each batch its own
/// transaction; the job is done when every batch has committed.
pub(super) async fn in_batches(
    db: &DatabaseConnection,
    import: &Import,
    held: &Held,
) -> Result<Finish, DbErr> {
    let id = import.id.as_str();
    let batches = batches_in_flight(db.get_database_backend());
    // The rows still to write are those after the last batches': each
    // query starts there rather than passing every row already written
    // (which made a long import slow down as it went). The first one, on a
    // resumed job, passes the rows written before it once.
    let mut after = -1_i64;
    loop {
        let rows = import_rows::undecided(db, id, after, BATCH_ROWS * batches as u64).await?;
        let Some(last) = rows.last() else {
            return Ok(Finish::Done);
        };
        after = last.seq;
        // Every batch runs to its end (committed or rolled back) before the
        // job stops for any of them. (Boxed: a batch's future is deep.)
        let ran = futures_util::future::join_all(rows.chunks(BATCH_ROWS as usize).map(|batch| {
            Box::pin(outlasting(id, "import batch", move || {
                write_batch(db, import, batch, held)
            }))
        }))
        .await;
        for outcome in ran {
            if let Err(finish) = outcome? {
                return Ok(finish);
            }
        }
    }
}

/// One batch of the default mode, in ONE short transaction: re-checks the
/// uploader, locks the batch's students in id order, decides each row
/// again under the lock, writes the clean ones through the guarded update
/// with an `imported` revision, keeps each stale one as a conflict entry,
/// records every row's result, and renews the job's lease with its counts,
/// all in the same transaction: a batch is done exactly once or not at
/// all. `None` (rolled back): another instance holds the job.
async fn write_batch(
    db: &DatabaseConnection,
    import: &Import,
    rows: &[StoredRow],
    held: &Held,
) -> Result<Option<()>, BatchError> {
    let Decision { txn, decided } = decide(db, import, rows).await?;
    Ok(commit_decided(txn, import, &decided, held)
        .await?
        .then_some(()))
}

/// `rows` decided under their locks, in a transaction still open.
pub(super) struct Decision {
    pub(super) txn: DatabaseTransaction,
    pub(super) decided: Vec<Decided>,
}

/// Opens a batch's transaction and writes its rows through the write core
/// ([`rows::write`]): the uploader re-checked, the rows' students locked in
/// id order, each row decided (and written or kept) under the lock.
pub(super) async fn decide(
    db: &DatabaseConnection,
    import: &Import,
    rows: &[StoredRow],
) -> Result<Decision, BatchError> {
    let typed = typed(rows);
    let txn = begin_write(db).await?;
    let decisions =
        rows::write(&txn, &import.registrar, &import.id, &commands(rows, &typed)).await?;
    let decided = rows
        .iter()
        .zip(decisions)
        .map(|(row, d)| Decided {
            seq: row.seq,
            result: d.result,
            version: d.version,
            refusal: d.refusal,
        })
        .collect();
    Ok(Decision { txn, decided })
}

/// The rows' values as they were typed when the file was checked (the
/// rules are not run again: a pending upload lives at most a day); `None`
/// for a row that was not valid.
pub(super) fn typed(rows: &[StoredRow]) -> Vec<Option<StudentValues>> {
    rows.iter().map(values::import_row).collect()
}

/// `rows` as commands of the write core.
pub(super) fn commands<'a>(
    rows: &[StoredRow],
    typed: &'a [Option<StudentValues>],
) -> Vec<RowCommand<'a>> {
    rows.iter()
        .zip(typed)
        .map(|(row, values)| RowCommand {
            student_id: row.student_id,
            version: row.version,
            values: values.as_ref(),
            keeps: values::import_row_keeps(row),
        })
        .collect()
}
