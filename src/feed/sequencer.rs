//! The sequencer: the one instance holding the feed's lease stamps
//! committed revisions with dense positions, off every request's path.
//!
//! Writers add nothing to their transactions: a revision is inserted
//! unstamped, as before the feed. Every instance runs a sequencer; the one
//! holding the lease (`feed_sequencer.holder`, renewed every few seconds,
//! taken over once it runs out, let go at shutdown) polls for unstamped
//! revisions and stamps them a batch to a short transaction:
//!
//! 1. lock the feed's row (`FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`) and
//!    check the lease is still this instance's: a takeover moves the lease
//!    under the same lock, so a batch and a takeover never both commit (on
//!    Galera, where the lock is the node's only, both write the row and
//!    certification aborts one);
//! 2. read the committed unstamped revisions of lowest id, then every
//!    unstamped revision of the students among them;
//! 3. stamp them `last_position + 1…` in id order, except that each
//!    student's revisions take that student's places in version order;
//! 4. move `last_position` and the lease, commit, and tell this instance's
//!    waiting readers ([`super::Tip`]).
//!
//! Why nothing is skipped: a reader sees stamped positions only, and the
//! positions committed at any moment are `1..=last_position` (a batch
//! commits its positions and the new `last_position` together, after the
//! batch before it). A transaction that took a lower id but commits later
//! is stamped after it commits, above everything stamped before; one that
//! rolls back leaves a gap in ids, never in positions. Why each record's
//! versions come in order: a record's next revision is written under its
//! row's lock after the previous one committed, so whenever it is
//! committed its predecessor is too (on Galera: applied before it on every
//! node), and step 2 takes every unstamped revision of a student at once.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::store::{self, Unstamped};
use super::{Tip, head};
use crate::cluster::Failure;
use crate::db::{begin_write, now};

/// How long the lease lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often the holder renews its lease while idle.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// How often the holder looks for unstamped revisions: the most a change
/// waits between its commit and its stamp, besides the batch itself.
pub const POLL: Duration = Duration::from_millis(100);
/// How often an instance without the lease looks whether it is free.
pub const STANDBY: Duration = Duration::from_secs(1);
/// Revisions read per batch (a batch also stamps the rest of those
/// students' unstamped revisions).
pub const BATCH: u64 = 1_000;
/// The pause after a database error.
const AFTER_ERROR: Duration = Duration::from_secs(1);
/// On SQLite, the pause between two full batches: a batch holds the
/// database's write lock, and a saver waiting for it retries at most every
/// 100 ms (SQLite's busy handler), so back-to-back batches through a
/// backlog (a large import, demo data) would starve it.
const BETWEEN_BATCHES_ON_SQLITE: Duration = Duration::from_millis(100);

/// The instance's sequencer, running until [`Sequencer::stop`].
pub struct Sequencer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Sequencer {
    /// Starts this instance's sequencer on `db`; its stamps advance `tip`.
    pub fn start(db: DatabaseConnection, tip: Tip) -> Sequencer {
        let (stop, stopped) = oneshot::channel();
        let worker = Worker {
            db,
            tip,
            me: instance_name(),
            lease: None,
            baseline: None,
        };
        Sequencer {
            stop,
            task: tokio::spawn(worker.run(stopped)),
        }
    }

    /// Stops after the batch in flight, letting the lease go.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// This process's name as a lease holder: its process id and random text.
fn instance_name() -> String {
    let random = crate::auth::tokens::random_token();
    format!("{}-{}", std::process::id(), &random[..16])
}

/// What a step found to do next.
enum Step {
    /// A full batch was stamped: there may be more at once.
    More,
    /// Holding the lease, nothing (more) to stamp.
    Idle,
    /// Another instance holds the lease.
    Standby,
}

struct Worker {
    db: DatabaseConnection,
    tip: Tip,
    me: String,
    /// Until when this instance holds the lease, as far as it knows.
    lease: Option<DateTime<Utc>>,
    baseline: Option<i64>,
}

fn lease_span() -> chrono::Duration {
    chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(10))
}

impl Worker {
    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        loop {
            let pause = match self.step().await {
                Ok(Step::More) if self.db.get_database_backend() == DbBackend::Sqlite => {
                    BETWEEN_BATCHES_ON_SQLITE
                }
                Ok(Step::More) => Duration::ZERO,
                Ok(Step::Idle) => POLL,
                Ok(Step::Standby) => STANDBY,
                Err(err) if crate::cluster::failure::classify(&err) == Failure::Retryable => {
                    // Another instance's sequencer wrote the feed's row at
                    // once (a Galera certification conflict): nothing of
                    // this batch committed.
                    tracing::debug!(error = %err, "the change feed's batch was aborted; trying again");
                    AFTER_ERROR
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the change feed's sequencer failed; trying again");
                    AFTER_ERROR
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = &mut stop => break,
            }
        }
        if self.lease.is_some()
            && let Err(err) = head::release_lease(&self.db, &self.me).await
        {
            tracing::warn!(error = %err, "could not let the change feed's lease go");
        }
    }

    async fn step(&mut self) -> Result<Step, DbErr> {
        let now = now();
        let renew_before = chrono::Duration::from_std(LEASE - RENEW_EVERY).unwrap_or_default();
        if self.lease.is_none() && held_elsewhere(&head::read(&self.db).await?, &self.me, now) {
            // Looked at, not written: on SQLite a write would take the
            // database's lock from the savers every second.
            return Ok(Step::Standby);
        }
        if self.lease.is_none_or(|until| until - now < renew_before) {
            let until = now + lease_span();
            if head::take_lease(&self.db, &self.me, now, until).await? {
                if self.lease.is_none() {
                    tracing::info!(instance = %self.me, "this instance stamps the change feed");
                }
                self.lease = Some(until);
            } else {
                self.lease = None;
                return Ok(Step::Standby);
            }
        }
        let baseline = match self.baseline {
            Some(baseline) => baseline,
            None => *self.baseline.insert(head::read(&self.db).await?.baseline),
        };
        if !store::any_unstamped(&self.db, baseline).await? {
            return Ok(Step::Idle);
        }
        match stamp_batch(&self.db, &self.me).await? {
            Batch::Stamped { count, last, until } => {
                self.lease = Some(until);
                self.tip.advance(last);
                Ok(if count >= BATCH {
                    Step::More
                } else {
                    Step::Idle
                })
            }
            Batch::Lost => {
                tracing::info!(instance = %self.me, "the change feed's lease moved to another instance");
                self.lease = None;
                Ok(Step::Standby)
            }
        }
    }
}

/// Whether another instance than `me` holds the lease of `head` at `now`.
fn held_elsewhere(head: &head::Head, me: &str, now: DateTime<Utc>) -> bool {
    head.holder.as_deref().is_some_and(|holder| holder != me)
        && head.lease_until.is_some_and(|until| until >= now)
}

/// What a batch did.
enum Batch {
    /// `count` revisions stamped, up to position `last`; the lease renewed
    /// until `until`.
    Stamped {
        count: u64,
        last: i64,
        until: DateTime<Utc>,
    },
    /// The lease is another instance's: nothing written.
    Lost,
}

/// One batch: see the module's steps.
async fn stamp_batch(db: &DatabaseConnection, me: &str) -> Result<Batch, DbErr> {
    let txn = begin_write(db).await?;
    let row = head::lock_for_update(&txn).await?;
    let now = now();
    let ours = row.holder.as_deref() == Some(me) && row.lease_until.is_some_and(|u| u >= now);
    if !ours {
        txn.rollback().await?;
        return Ok(Batch::Lost);
    }
    let first = store::unstamped(&txn, row.baseline, BATCH).await?;
    let mut students: Vec<i64> = first.iter().map(|r| r.student_id).collect();
    students.sort_unstable();
    students.dedup();
    let batch = in_feed_order(store::unstamped_of(&txn, row.baseline, &students).await?);
    let stamps: Vec<(i64, i64)> = batch
        .iter()
        .zip(row.last_position + 1..)
        .map(|(revision, position)| (revision.id, position))
        .collect();
    let count = stamps.len() as u64;
    let last = row.last_position + count as i64;
    let stamped = store::stamp(&txn, &stamps).await?;
    let until = now + lease_span();
    if stamped != count || !head::advance(&txn, me, row.last_position, last, until).await? {
        // Not as this batch read it (stamped by someone else meanwhile):
        // a fence failed; write nothing and look again.
        txn.rollback().await?;
        return Err(DbErr::Custom(format!(
            "the change feed's batch found {stamped} of {count} revisions unstamped, or its row moved"
        )));
    }
    txn.commit().await?;
    Ok(Batch::Stamped { count, last, until })
}

/// `batch` in the order it is stamped: by id, except that each student's
/// revisions take the places its revisions hold in that order, by version.
fn in_feed_order(mut batch: Vec<Unstamped>) -> Vec<Unstamped> {
    batch.sort_unstable_by_key(|r| r.id);
    let mut by_version = batch.clone();
    by_version.sort_unstable_by_key(|r| (r.student_id, r.version));
    let mut queues: HashMap<i64, VecDeque<Unstamped>> = HashMap::new();
    for revision in by_version {
        queues
            .entry(revision.student_id)
            .or_default()
            .push_back(revision);
    }
    batch
        .iter()
        .filter_map(|slot| queues.get_mut(&slot.student_id)?.pop_front())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: i64, student_id: i64, version: i64) -> Unstamped {
        Unstamped {
            id,
            student_id,
            version,
        }
    }

    #[test]
    fn the_feed_order_is_by_id_with_each_students_versions_in_order() {
        let batch = vec![r(9, 1, 2), r(3, 2, 1), r(5, 1, 3), r(4, 1, 1), r(7, 2, 2)];
        let ordered: Vec<(i64, i64)> = in_feed_order(batch)
            .iter()
            .map(|r| (r.student_id, r.version))
            .collect();
        // Ids 3, 4, 5, 7, 9: student 2, 1, 1, 2, 1; student 1's versions
        // 1, 2, 3 fill its places whatever their ids.
        assert_eq!(ordered, [(2, 1), (1, 1), (1, 2), (2, 2), (1, 3)]);
        assert!(in_feed_order(Vec::new()).is_empty());
    }
}
