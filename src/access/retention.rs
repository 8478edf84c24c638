//! Retention: entries older than `--access-log-days` are deleted, a
//! bounded batch per statement, at start and every [`SWEEP_EVERY`]. Every
//! instance sweeps; several at once on one database delete the same or
//! disjoint rows, and a sweep interrupted halfway leaves the rest for the
//! next.

use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};

use super::store;
use crate::db::now;

/// How often each instance sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);
/// Batches one sweep deletes at most (then it waits for the next).
const BATCHES_PER_SWEEP: u32 = 1_000;

/// How long entries are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub days: u32,
}

impl Retention {
    /// The oldest instant kept now.
    pub fn cutoff(self) -> chrono::DateTime<chrono::Utc> {
        now() - chrono::Duration::days(i64::from(self.days))
    }
}

/// Deletes every entry older than `retention`, a batch at a time (at most
/// [`BATCHES_PER_SWEEP`]); returns how many.
pub async fn sweep(db: &DatabaseConnection, retention: Retention) -> Result<u64, DbErr> {
    let cutoff = retention.cutoff();
    let mut deleted = 0;
    for _ in 0..BATCHES_PER_SWEEP {
        let batch = store::sweep_batch(db, cutoff).await?;
        deleted += batch;
        if batch < store::SWEEP_BATCH {
            break;
        }
        // Leaves room to other writers between batches.
        tokio::task::yield_now().await;
    }
    Ok(deleted)
}

/// Sweeps at start and every [`SWEEP_EVERY`], until aborted.
pub async fn sweep_periodically(db: DatabaseConnection, retention: Retention) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        match sweep(&db, retention).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(
                deleted,
                days = retention.days,
                "swept access log entries past their retention"
            ),
            Err(err) => tracing::warn!(error = %err, "sweeping the access log failed"),
        }
    }
}
