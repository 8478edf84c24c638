//! The job's lease: how long an instance holds the job without renewing
//! it, and a transaction of the job committed only while the lease is
//! still this instance's.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, DbErr};

use crate::db::entities::import_row::RowResult;
use crate::db::now;
use crate::metrics;
use crate::students::import::store::confirm::{self, Decided, counted};
use crate::students::import::store::imports::Import;
use crate::students::store::Action;
use crate::students::store::import_entries::{self, Batch};

/// How long a job's instance holds it without renewing.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(30);

/// The job's lease as this instance holds it, shared by its batches in
/// flight. A batch renews it with the last statement of its transaction
/// and holds this lock until its commit, so the batches take their turns
/// there and none renews from a lease another has just moved.
pub(super) struct Held(tokio::sync::Mutex<DateTime<Utc>>);

impl Held {
    pub(super) fn new(lease: DateTime<Utc>) -> Self {
        Held(tokio::sync::Mutex::new(lease))
    }

    pub(super) async fn current(&self) -> DateTime<Utc> {
        *self.0.lock().await
    }
}

/// Records `decided` in `txn`, renews the lease `held` and moves the job's
/// counts, then adds the rows written to the import's entry in the change
/// log; commits, and counts the rows written. `false` (rolled back): the
/// lease is no longer this instance's.
pub(super) async fn commit_decided(
    txn: DatabaseTransaction,
    import: &Import,
    decided: &[Decided],
    held: &Held,
) -> Result<bool, DbErr> {
    let id = import.id.as_str();
    confirm::record_results(&txn, id, decided).await?;
    let mut lease = held.0.lock().await;
    // Renewing comes last but for the log entry: a batch commits only
    // while its instance holds the job. Another instance takes it over by
    // moving the lease, after which this finds nothing; and the update
    // locks the job's row until the transaction ends, so a takeover waits
    // for a batch that renewed first, and the import's batches add to its
    // log entry one after another.
    let renewed = now() + LEASE;
    if !confirm::renew(&txn, id, *lease, renewed, decided).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    import_entries::record(
        &txn,
        Batch {
            import_id: id,
            registrar: &import.registrar,
            filename: &import.filename,
            written: counted(decided, RowResult::Written),
        },
    )
    .await?;
    txn.commit().await?;
    *lease = renewed;
    metrics::record_saves(Action::Imported, counted(decided, RowResult::Written));
    Ok(true)
}
