//! The batched writer: handlers hand an entry to an in-memory queue and
//! return; one task per instance writes the queue every second as
//! multi-row inserts, and once more when the instance stops, after the
//! server has drained. A database that cannot be reached keeps its entries
//! queued for the next tick, up to [`CAPACITY`]; entries beyond it are
//! dropped, logged and counted (`registrar_access_log_dropped_total`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Pending, store};
use crate::metrics::Metrics;

/// How often the queue is written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Entries kept while the database cannot be reached: about a minute of a
/// busy office's views; beyond it the newest are dropped.
pub const CAPACITY: usize = 100_000;
/// Attempts of the last write at shutdown, a flush interval apart.
const LAST_ATTEMPTS: u32 = 5;

/// The handle handlers record through (cheap to clone; one queue per
/// instance).
#[derive(Clone, Default)]
pub struct AccessLog {
    queue: Arc<Queue>,
}

#[derive(Default)]
struct Queue {
    entries: Mutex<Vec<Pending>>,
    dropped: AtomicU64,
}

impl AccessLog {
    /// Queues `entry` for the next flush; never waits on the database.
    /// When the queue is full the entry is dropped and counted.
    pub fn record(&self, entry: Pending) {
        let mut entries = self
            .queue
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            drop(entries);
            self.dropped(1);
            return;
        }
        entries.push(entry);
    }

    /// Entries dropped since the instance started (the queue was full).
    pub fn dropped_total(&self) -> u64 {
        self.queue.dropped.load(Ordering::Relaxed)
    }

    fn dropped(&self, count: u64) {
        let before = self.queue.dropped.fetch_add(count, Ordering::Relaxed);
        crate::metrics::record_access_log_dropped(count);
        // Said once per thousand, not once per entry.
        if before / 1_000 != (before + count) / 1_000 || before == 0 {
            tracing::error!(
                dropped = before + count,
                "the access log's queue is full (the database cannot be reached): views are not being recorded"
            );
        }
    }

    /// Everything queued, in the order recorded.
    fn take(&self) -> Vec<Pending> {
        std::mem::take(
            &mut *self
                .queue
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Puts back what could not be written, before what came since, as
    /// far as the capacity allows.
    fn put_back(&self, mut unwritten: Vec<Pending>) {
        let mut entries = self
            .queue
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        unwritten.append(&mut entries);
        let over = unwritten.len().saturating_sub(CAPACITY);
        unwritten.truncate(CAPACITY);
        *entries = unwritten;
        drop(entries);
        if over > 0 {
            self.dropped(over as u64);
        }
    }

    /// Writes everything queued; what a failure left unwritten is queued
    /// again (for the next tick) and the error returned.
    async fn flush(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let entries = self.take();
        let mut written = 0;
        for chunk in entries.chunks(store::INSERT_CHUNK) {
            if let Err(err) = store::insert(db, chunk).await {
                self.put_back(entries[written..].to_vec());
                return Err(err);
            }
            written += chunk.len();
        }
        Ok(written)
    }
}

/// The running writer; [`AccessWriter::finish`] writes what is left.
pub struct AccessWriter {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl AccessWriter {
    /// Starts the writer of `log` on `db` (counted in `metrics`).
    pub fn start(log: &AccessLog, db: DatabaseConnection, metrics: Option<Arc<Metrics>>) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task =
            crate::metrics::spawn_counted(metrics, write_every_second(log.clone(), db, stopped));
        AccessWriter { stop, task }
    }

    /// Stops the ticks and writes every entry still queued (trying again a
    /// few times if the database does not answer); call once the server
    /// has drained, so that no request records after it.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the access log's writer failed");
        }
    }
}

async fn write_every_second(
    log: AccessLog,
    db: DatabaseConnection,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut every = tokio::time::interval(FLUSH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = &mut stopped => break,
        }
        match log.flush(&db).await {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("the access log is written again");
            }
            Ok(_) => {}
            Err(err) if !failing => {
                failing = true;
                tracing::warn!(error = %err, "the access log could not be written; its entries are kept for the next try");
            }
            Err(_) => {}
        }
    }
    for attempt in 1..=LAST_ATTEMPTS {
        match log.flush(&db).await {
            Ok(written) => {
                tracing::info!(written, "the access log's last entries are written");
                return;
            }
            Err(err) if attempt == LAST_ATTEMPTS => {
                let lost = log.take().len();
                tracing::error!(error = %err, lost, "the access log's last entries could not be written");
            }
            Err(_) => tokio::time::sleep(FLUSH_EVERY).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{AccessLog, CAPACITY, Pending};
    use crate::access::ViewKind;

    fn look(n: i64) -> Pending {
        Pending {
            at: chrono::Utc::now(),
            account: "ada".to_owned(),
            kind: ViewKind::Record,
            student_id: Some(n),
            query: None,
            rows: None,
            client_addr: "192.0.2.1".to_owned(),
            confidential: false,
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_the_newest() {
        let log = AccessLog::default();
        for n in 0..(CAPACITY as i64 + 3) {
            log.record(look(n));
        }
        assert_eq!(log.dropped_total(), 3);
        let queued = log.take();
        assert_eq!(queued.len(), CAPACITY);
        assert_eq!(
            queued.last().and_then(|e| e.student_id),
            Some(CAPACITY as i64 - 1)
        );
    }

    #[test]
    fn what_a_failed_write_left_goes_back_before_what_came_since() {
        let log = AccessLog::default();
        log.record(look(1));
        log.record(look(2));
        let unwritten = log.take();
        log.record(look(3));
        log.put_back(unwritten);
        let order: Vec<Option<i64>> = log.take().iter().map(|e| e.student_id).collect();
        assert_eq!(order, [Some(1), Some(2), Some(3)]);
        assert_eq!(log.dropped_total(), 0);
    }
}
