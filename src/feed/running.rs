//! The feed's work on one instance, started and stopped with it.

use std::future::Future;

use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use super::{Sequencer, Tip, tip};

/// This instance's sequencer and the follower of its tip.
pub struct Running {
    sequencer: Sequencer,
    follower: JoinHandle<()>,
    tip: Tip,
}

impl Running {
    /// Starts this instance's sequencer (stamping while it holds the
    /// lease) and the follower of `tip`, which waiting readers wait on.
    pub fn start(db: DatabaseConnection, tip: Tip) -> Running {
        Running {
            sequencer: Sequencer::start(db.clone(), tip.clone()),
            follower: tokio::spawn(tip::follow(db, tip.clone())),
            tip,
        }
    }

    /// `shutdown`, after which the readers waiting on the tip are answered
    /// at once: a long poll never holds up the drain.
    pub fn answering_waiters_at(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let tip = self.tip.clone();
        async move {
            shutdown.await;
            tip.close();
        }
    }

    /// Stops both; the sequencer lets the lease go.
    pub async fn stop(self) {
        self.follower.abort();
        self.sequencer.stop().await;
    }
}
