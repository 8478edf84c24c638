//! The highest position this instance knows to be stamped, and the readers
//! waiting for it to move (`wait=`): they wait here, on a watch channel,
//! holding no database connection.
//!
//! Two things move it: this instance's sequencer, after each batch it
//! commits, and — only while somebody waits — a light poll of the feed's
//! row every [`FOLLOW_EVERY`], for the batches another instance's
//! sequencer commits. At shutdown it closes, and every waiter answers at
//! once, so a long poll never holds up a drain.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use super::head;

/// How often the feed's row is read while readers wait.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Known {
    position: i64,
    closing: bool,
}

/// The instance's view of the feed's tip (cheap to clone: one channel).
#[derive(Clone)]
pub struct Tip(Arc<watch::Sender<Known>>);

impl Default for Tip {
    fn default() -> Self {
        Tip(Arc::new(watch::Sender::new(Known::default())))
    }
}

impl Tip {
    /// This instance stamped up to `position`.
    pub fn advance(&self, position: i64) {
        self.0.send_if_modified(|known| {
            let moved = position > known.position;
            known.position = known.position.max(position);
            moved
        });
    }

    /// The feed's row says `position` (the truth, even if lower: a
    /// restored database).
    fn set(&self, position: i64) {
        self.0.send_if_modified(|known| {
            let moved = known.position != position;
            known.position = position;
            moved
        });
    }

    /// The instance stops: every waiter answers now.
    pub fn close(&self) {
        self.0.send_modify(|known| known.closing = true);
    }

    /// Whether the instance is stopping.
    pub fn is_closing(&self) -> bool {
        self.0.borrow().closing
    }

    /// Waits until a position beyond `position` is stamped (`true`), or
    /// `deadline` passes or the instance stops (`false`).
    pub async fn wait_beyond(&self, position: i64, deadline: Instant) -> bool {
        let mut known = self.0.subscribe();
        let moved = known.wait_for(|k| k.position > position || k.closing);
        match tokio::time::timeout_at(deadline, moved).await {
            Ok(Ok(k)) => k.position > position,
            _ => false,
        }
    }

    /// Whether any reader waits.
    fn is_awaited(&self) -> bool {
        self.0.receiver_count() > 0
    }
}

/// Keeps `tip` up with the feed's row while readers wait (for as long as
/// the instance serves).
pub async fn follow(db: DatabaseConnection, tip: Tip) {
    let mut every = tokio::time::interval(FOLLOW_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if !tip.is_awaited() {
            continue;
        }
        match head::last_position(&db).await {
            Ok(position) => tip.set(position),
            Err(err) => tracing::debug!(error = %err, "reading the change feed's tip failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_the_tip_passes_them_or_the_instance_stops() {
        let tip = Tip::default();
        tip.advance(5);
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(tip.wait_beyond(4, soon).await, "already beyond");
        assert!(!tip.wait_beyond(5, soon).await, "nothing beyond 5");

        let waiting = tokio::spawn({
            let tip = tip.clone();
            async move {
                tip.wait_beyond(5, Instant::now() + Duration::from_secs(10))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(tip.is_awaited());
        tip.advance(3);
        tip.advance(6);
        assert!(waiting.await.expect("the waiter"));

        let waiting = tokio::spawn({
            let tip = tip.clone();
            async move {
                tip.wait_beyond(6, Instant::now() + Duration::from_secs(10))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tip.close();
        assert!(!waiting.await.expect("the waiter"));
        assert!(tip.is_closing());
    }
}
