//! Confirming an import: a job whose state lives in the database, so any
//! instance shows its progress and takes it over when the one running it
//! stopped (its lease ran out). The job's statements on the `imports` and
//! `import_rows` tables are in [`super::store`] (its writes in
//! [`super::store::confirm`]); the students are written through the write
//! core ([`crate::students::protocol::rows`]).
//!
//! - this file: starting a confirm, running it to its end (done, failed or
//!   taken over), resuming the jobs whose instance stopped, progress;
//! - [`batches`]: the default mode, every row an independent edit of the
//!   protocol, [`batches::BATCH_ROWS`] rows to a short transaction that
//!   locks its rows in id order, decides each again under the lock and
//!   writes through the guarded update; a row that became stale is refused
//!   and kept as a conflict entry. Single saves take their turn between
//!   batches. On PostgreSQL and MariaDB two batches of a job run at once
//!   (their rows never overlap: a file names each student once), so the
//!   database's second core is not left to the single saves alone;
//! - [`all_or_nothing`]: every row locked in one transaction, which writes
//!   nothing unless every row is still clean; it takes at most
//!   [`all_or_nothing::ALL_OR_NOTHING_ROWS`] rows;
//! - [`lease`]: the job's lease as this instance holds it, and committing a
//!   transaction only while it does;
//! - [`attempts`]: running a transaction again while the database is away,
//!   and how the job ends instead.

pub mod all_or_nothing;
mod attempts;
pub mod batches;
pub mod lease;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use self::all_or_nothing::ALL_OR_NOTHING_ROWS;
use self::attempts::Finish;
use self::lease::{Held, LEASE};
use super::store::checks;
use super::store::confirm;
use super::store::imports::{self, Import};
use super::store::rows as import_rows;
use crate::auth::writer::{self, WriteRefused};
use crate::db::entities::import_row::RowOutcome;
use crate::db::{begin_write, now};
use crate::domain::Role;
use crate::metrics::Metrics;

/// How often each instance looks for jobs whose instance stopped.
pub const RESUME_EVERY: Duration = Duration::from_secs(2);

/// Why a confirm cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the import was already confirmed")]
    NotPending,
    /// All or nothing was asked of a file with invalid or unknown rows:
    /// it could only write nothing.
    #[error("all or nothing writes nothing while {0} rows are invalid or name no student")]
    NotClean(u64),
    #[error("all or nothing takes at most {ALL_OR_NOTHING_ROWS} rows")]
    TooLarge,
    #[error(transparent)]
    Refused(#[from] WriteRefused),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Starts confirming `import`: re-checks that its uploader may still
/// change records and marks it running with a lease. Invalid and unknown
/// rows do not stop it (contract §12: they are refused, the clean rows
/// written), except all or nothing, which could then only write nothing
/// and is refused before it starts. A second confirm (a double click) finds
/// it running and is refused.
pub async fn start(
    db: &DatabaseConnection,
    import: &Import,
    all_or_nothing: bool,
) -> Result<DateTime<Utc>, StartError> {
    if all_or_nothing {
        if import.rows > ALL_OR_NOTHING_ROWS {
            return Err(StartError::TooLarge);
        }
        let dirty = dirty_rows(db, &import.id).await?;
        if dirty > 0 {
            return Err(StartError::NotClean(dirty));
        }
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

/// How many rows of import `id` are invalid or name no student: rows no
/// confirm can write.
pub async fn dirty_rows(db: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    let counts = import_rows::counts(db, id).await?;
    Ok([RowOutcome::Invalid, RowOutcome::Unknown]
        .iter()
        .filter_map(|o| counts.get(o))
        .sum())
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

async fn run_to_end(
    db: &DatabaseConnection,
    id: &str,
    lease: &mut DateTime<Utc>,
) -> Result<Finish, DbErr> {
    let Some(import) = imports::get(db, id).await? else {
        return Ok(Finish::TakenOver);
    };
    let held = Held::new(*lease);
    let ended = if import.all_or_nothing {
        all_or_nothing::all_or_nothing(db, &import, &held).await
    } else {
        batches::in_batches(db, &import, &held).await
    };
    *lease = held.current().await;
    match ended? {
        Finish::Done => finish(db, id, *lease).await,
        other => Ok(other),
    }
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
