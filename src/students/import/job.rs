//! Confirming an import: a job whose state lives in the database, so any
//! instance shows its progress and takes it over when the one running it
//! stopped (its lease ran out).
//!
//! By default every row is an independent edit of the protocol: rows are
//! written [`BATCH_ROWS`] at a time, each batch one short transaction
//! ([`write_batch`]) that locks its rows in id order, decides each again
//! under the lock and writes through the guarded update; a row that became
//! stale is refused and kept as a conflict entry. Single saves take their
//! turn between batches. On PostgreSQL and MariaDB two batches of a job run
//! at once (their rows never overlap: a file names each student once), so
//! the database's second core is not left to the single saves alone. With
//! "all or nothing" every row is locked in one transaction, which writes
//! nothing unless every row is still clean; it takes at most
//! [`ALL_OR_NOTHING_ROWS`] rows.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};

use super::store::checks;
use super::store::confirm::{self, Decided, counted};
use super::store::imports::{self, Import};
use super::store::rows::{self as import_rows, StoredRow};
use crate::auth::writer::{self, WriteRefused};
use crate::cluster::{Failure, HasFailure, retry};
use crate::db::entities::import_row::{RowOutcome, RowResult};
use crate::db::{begin_write, now};
use crate::domain::Role;
use crate::domain::StudentValues;
use crate::metrics::{self, Metrics};
use crate::students::protocol::ProtocolError;
use crate::students::protocol::rows::{self, RowCommand};
use crate::students::store::Action;

/// Rows one batch transaction writes.
pub const BATCH_ROWS: u64 = 500;
/// Most rows an all-or-nothing import may have: they are all locked in
/// one transaction, which holds every single save of those rows (and, on
/// SQLite, every write) until it ends.
pub const ALL_OR_NOTHING_ROWS: i64 = 5_000;
/// Batches of one job in flight at once. SQLite has one writer: a second
/// batch would only wait for the first.
fn batches_in_flight(backend: sea_orm::DbBackend) -> usize {
    match backend {
        sea_orm::DbBackend::Sqlite => 1,
        _ => 2,
    }
}
/// How long a job's instance holds it without renewing.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// How often each instance looks for jobs whose instance stopped.
pub const RESUME_EVERY: Duration = Duration::from_secs(2);
/// Runs of one batch while the database is away (a node lost, a failover,
/// a lock wait that ran out) before the job is marked failed; the pause
/// grows by [`AWAY_PAUSE`] each time (10 s in all). Aborts are retried by
/// the cluster wrapper inside each run.
const ATTEMPTS: u32 = 5;
const AWAY_PAUSE: Duration = Duration::from_secs(1);

/// Why a confirm cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the import was already confirmed")]
    NotPending,
    #[error("the file has invalid or unknown rows")]
    NotClean,
    #[error("all or nothing takes at most {ALL_OR_NOTHING_ROWS} rows")]
    TooLarge,
    #[error(transparent)]
    Refused(#[from] WriteRefused),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Starts confirming `import`: re-checks that its uploader may still
/// change records and that nothing in it is invalid or unknown, and marks
/// it running with a lease. A second confirm (a double click) finds it
/// running and is refused.
pub async fn start(
    db: &DatabaseConnection,
    import: &Import,
    all_or_nothing: bool,
) -> Result<DateTime<Utc>, StartError> {
    let counts = import_rows::counts(db, &import.id).await?;
    let dirty = [RowOutcome::Invalid, RowOutcome::Unknown]
        .iter()
        .filter_map(|o| counts.get(o))
        .sum::<u64>();
    if dirty > 0 {
        return Err(StartError::NotClean);
    }
    if all_or_nothing && import.rows > ALL_OR_NOTHING_ROWS {
        return Err(StartError::TooLarge);
    }
    let txn = begin_write(db).await?;
    writer::recheck_named(&txn, &import.registrar, Role::Registrar).await?;
    let lease = now() + LEASE;
    if !confirm::mark_running(&txn, &import.id, all_or_nothing, lease).await? {
        txn.rollback().await?;
        return Err(StartError::NotPending);
    }
    txn.commit().await?;
    Ok(lease)
}

/// Runs import `id` holding `lease` until it is done or failed, or another
/// instance took it over.
pub async fn run(db: DatabaseConnection, id: String, mut lease: DateTime<Utc>) {
    match run_to_end(&db, &id, &mut lease).await {
        Ok(Finish::Done) => {
            tracing::info!(import = %id, "CSV import done");
        }
        Ok(Finish::TakenOver) => {
            tracing::info!(import = %id, "CSV import taken over by another instance");
        }
        Ok(Finish::Failed(why)) => fail(&db, &id, lease, &why).await,
        Err(err) => {
            tracing::error!(import = %id, error = %err, "CSV import failed");
            fail(
                &db,
                &id,
                lease,
                "The database failed while writing; rows not yet written were not.",
            )
            .await;
        }
    }
}

enum Finish {
    /// Every row is decided (the modes say so; [`run_to_end`] then marks
    /// the job done).
    Done,
    TakenOver,
    Failed(String),
}

async fn run_to_end(
    db: &DatabaseConnection,
    id: &str,
    lease: &mut DateTime<Utc>,
) -> Result<Finish, DbErr> {
    let Some(import) = imports::get(db, id).await? else {
        return Ok(Finish::TakenOver);
    };
    let held = Held(tokio::sync::Mutex::new(*lease));
    let ended = if import.all_or_nothing {
        all_or_nothing(db, &import, &held).await
    } else {
        in_batches(db, &import, &held).await
    };
    *lease = held.current().await;
    match ended? {
        Finish::Done => finish(db, id, *lease).await,
        other => Ok(other),
    }
}

/// The default mode: the rows not yet decided, in file order, a few
/// batches at a time ([`batches_in_flight`]), each batch its own
/// transaction; the job is done when every batch has committed.
async fn in_batches(
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

/// The job's lease as this instance holds it, shared by its batches in
/// flight. A batch renews it with the last statement of its transaction
/// and holds this lock until its commit, so the batches take their turns
/// there and none renews from a lease another has just moved.
struct Held(tokio::sync::Mutex<DateTime<Utc>>);

impl Held {
    async fn current(&self) -> DateTime<Utc> {
        *self.0.lock().await
    }
}

/// Runs `transaction` (aborts are tried again inside it by the cluster
/// wrapper) and waits out a database that is away, up to [`ATTEMPTS`]
/// runs. `Ok(Err(_))` is how the job ends instead: another instance holds
/// it, or its uploader may no longer write.
async fn outlasting<T, F, Fut>(
    id: &str,
    name: &'static str,
    mut transaction: F,
) -> Result<Result<T, Finish>, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, BatchError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match retry::write(name, &mut transaction).await {
            Ok(Some(done)) => return Ok(Ok(done)),
            Ok(None) => return Ok(Err(Finish::TakenOver)),
            Err(BatchError::Refused(refused)) => return Ok(Err(Finish::Failed(why(&refused)))),
            Err(BatchError::Database(err)) if outlasted(&err) && attempt < ATTEMPTS => {
                tracing::warn!(import = %id, error = %err, attempt, "{name}: the database is away; trying again");
                tokio::time::sleep(AWAY_PAUSE * attempt).await;
            }
            Err(BatchError::Database(err)) => return Err(err),
        }
    }
}

fn why(refused: &ProtocolError) -> String {
    match refused {
        ProtocolError::NotAllowed(role) => format!(
            "The account that uploaded the file is now a {role} and may no longer change records; \
             rows not yet written were not."
        ),
        ProtocolError::NotEnabled => {
            "The account that uploaded the file was disabled; rows not yet written were not."
                .to_owned()
        }
        other => format!("The database failed: {other}"),
    }
}

/// An error a background job waits out (a node lost, a failover) rather
/// than failing on; aborts were already retried by [`retry::write`]. Running
/// a batch again after a cut commit is safe: if it did commit, its lease was
/// renewed with it, so the next run finds the lease moved and stops, and
/// the job is resumed from its recorded results.
fn outlasted(err: &DbErr) -> bool {
    matches!(err.failure(), Failure::Unavailable | Failure::CommitUnknown)
}

impl HasFailure for BatchError {
    fn failure(&self) -> Failure {
        match self {
            BatchError::Database(err) => err.failure(),
            BatchError::Refused(_) => Failure::Other,
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum BatchError {
    /// The uploader may no longer change records.
    #[error(transparent)]
    Refused(ProtocolError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<ProtocolError> for BatchError {
    fn from(err: ProtocolError) -> Self {
        match err {
            ProtocolError::NotAllowed(_) | ProtocolError::NotEnabled | ProtocolError::NotFound => {
                BatchError::Refused(err)
            }
            other => BatchError::Database(protocol_db_err(other)),
        }
    }
}

/// The database error under a protocol error (a refusal of the writer
/// cannot happen where this is used: nothing re-checks it there).
fn protocol_db_err(err: ProtocolError) -> DbErr {
    match err {
        ProtocolError::Busy(err)
        | ProtocolError::CommitUnknown(err)
        | ProtocolError::Database(err) => err,
        other => DbErr::Custom(other.to_string()),
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
    Ok(commit_decided(txn, &import.id, &decided, held)
        .await?
        .then_some(()))
}

/// Records `decided` in `txn` and, as its last statement, renews the lease
/// `held` and moves the job's counts; commits, and counts the rows written.
/// `false` (rolled back): the lease is no longer this instance's.
async fn commit_decided(
    txn: DatabaseTransaction,
    id: &str,
    decided: &[Decided],
    held: &Held,
) -> Result<bool, DbErr> {
    confirm::record_results(&txn, id, decided).await?;
    let mut lease = held.0.lock().await;
    // Renewing is the transaction's last statement: a batch commits only
    // while its instance holds the job. Another instance takes it over by
    // moving the lease, after which this finds nothing; and the update
    // locks the job's row until the transaction ends, so a takeover waits
    // for a batch that renewed first.
    let renewed = now() + LEASE;
    if !confirm::renew(&txn, id, *lease, renewed, decided).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    *lease = renewed;
    metrics::record_saves(Action::Imported, counted(decided, RowResult::Written));
    Ok(true)
}

/// `rows` decided under their locks, in a transaction still open.
struct Decision {
    txn: DatabaseTransaction,
    decided: Vec<Decided>,
}

/// Opens a batch's transaction and writes its rows through the write core
/// ([`rows::write`]): the uploader re-checked, the rows' students locked in
/// id order, each row decided (and written or kept) under the lock.
async fn decide(
    db: &DatabaseConnection,
    import: &Import,
    rows: &[StoredRow],
) -> Result<Decision, BatchError> {
    let typed = typed(rows);
    let txn = begin_write(db).await?;
    let decisions = rows::write(&txn, &import.registrar, &commands(rows, &typed)).await?;
    let decided = rows
        .iter()
        .zip(decisions)
        .map(|(row, d)| Decided {
            seq: row.seq,
            result: d.result,
            version: d.version,
        })
        .collect();
    Ok(Decision { txn, decided })
}

/// The rows' values, typed before any lock is taken (they kept the form's
/// rules when the file was checked; `None` if they no longer do).
fn typed(rows: &[StoredRow]) -> Vec<Option<StudentValues>> {
    rows.iter().map(import_rows::values_of).collect()
}

/// `rows` as commands of the write core.
fn commands<'a>(rows: &[StoredRow], typed: &'a [Option<StudentValues>]) -> Vec<RowCommand<'a>> {
    rows.iter()
        .zip(typed)
        .map(|(row, values)| RowCommand {
            student_id: row.student_id,
            version: row.version,
            values: values.as_ref(),
        })
        .collect()
}

/// All or nothing: every row locked and decided in one transaction, which
/// commits only when none is refused; otherwise it is rolled back, and the
/// stale rows are kept as conflict entries in a transaction of their own.
async fn all_or_nothing(
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
        // Nothing was written: keep the stale rows, hold the others.
        let typed = typed(&rows);
        let all = commands(&rows, &typed);
        let stale: Vec<RowCommand<'_>> = all
            .iter()
            .zip(&decided)
            .filter(|(_, d)| d.result == RowResult::Refused)
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
                },
            })
            .collect();
        if !commit_decided(txn, &import.id, &results, held).await? {
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
    Ok(commit_decided(txn, &import.id, &decided, held)
        .await?
        .then_some(decided))
}

async fn finish(db: &DatabaseConnection, id: &str, lease: DateTime<Utc>) -> Result<Finish, DbErr> {
    Ok(if confirm::finish(db, id, lease).await? {
        Finish::Done
    } else {
        Finish::TakenOver
    })
}

/// Marks the job failed, saying why (only while `lease` is still its).
async fn fail(db: &DatabaseConnection, id: &str, lease: DateTime<Utc>, why: &str) {
    if let Err(err) = confirm::fail(db, id, lease, why).await {
        tracing::error!(import = %id, error = %err, "marking a CSV import failed");
    }
}

/// Takes over every running job whose lease ran out (its instance stopped,
/// by SIGTERM or SIGKILL) and runs it here; returns how many.
pub async fn resume_stalled(
    db: &DatabaseConnection,
    metrics: Option<&Arc<Metrics>>,
) -> Result<usize, DbErr> {
    let stalled = confirm::stalled(db).await?;
    let mut taken = 0;
    for (id, old) in stalled {
        let lease = now() + LEASE;
        if confirm::take_over(db, &id, old, lease).await? {
            tracing::info!(import = %id, "resuming a CSV import whose instance stopped");
            taken += 1;
            crate::metrics::spawn_counted(metrics.cloned(), run(db.clone(), id, lease));
        }
    }
    Ok(taken)
}

/// Looks for stalled jobs every [`RESUME_EVERY`], for as long as the
/// instance serves.
pub async fn resume_periodically(db: DatabaseConnection, metrics: Option<Arc<Metrics>>) {
    let mut every = tokio::time::interval(RESUME_EVERY);
    loop {
        every.tick().await;
        if let Err(err) = resume_stalled(&db, metrics.as_ref()).await {
            tracing::warn!(error = %err, "looking for stalled CSV imports failed");
        }
        match checks::fail_stalled_checks(&db, None).await {
            Ok(0) => {}
            Ok(failed) => tracing::info!(failed, "failed uploads whose check's instance stopped"),
            Err(err) => tracing::warn!(error = %err, "looking for stalled upload checks failed"),
        }
    }
}

/// How many of the job's rows are decided.
pub async fn progress(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    import_rows::decided_count(db, id).await
}
