//! The one retry wrapper for write transactions (docs/contract.md §10).
//!
//! A write is a closure that opens its transaction, does the whole write
//! from what was submitted, and commits. When the database aborted it
//! ([`Failure::Retryable`]: a Galera certification failure, a PostgreSQL
//! serialization failure), nothing of it committed and the transaction was
//! rolled back (dropping a SeaORM transaction rolls it back), so the closure
//! runs again, from the start, a bounded number of times with a random
//! pause. Every other outcome is returned as it is: an unavailable database
//! answers `503` at once, and a commit whose outcome is unknown is never
//! run again blindly.
//!
//! Applying it to a write: `retry::write("what", || the_write(db, …)).await`.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::failure::{Failure, HasFailure};

/// Runs a write at most this many times.
pub const ATTEMPTS: u32 = 5;

static RETRIES: AtomicU64 = AtomicU64::new(0);
static EXHAUSTED: AtomicU64 = AtomicU64::new(0);

/// Runs `write` until it does not fail with [`Failure::Retryable`], at most
/// [`ATTEMPTS`] times; `what` names the write in logs and counts.
pub async fn write<T, E, F, Fut>(what: &'static str, mut write: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: HasFailure + std::fmt::Display,
{
    let mut attempt = 1;
    loop {
        match write().await {
            Err(err) if err.failure() == Failure::Retryable => {
                if attempt >= ATTEMPTS {
                    EXHAUSTED.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(write = what, attempts = attempt, error = %err,
                        "aborted by the database every time: giving up");
                    return Err(err);
                }
                RETRIES.fetch_add(1, Ordering::Relaxed);
                crate::metrics::record_retry();
                tracing::info!(write = what, attempt, error = %err,
                    "aborted by the database: running the whole transaction again");
                tokio::time::sleep(pause(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// A random pause that grows with the attempt: 2–10 ms, then 4–20 ms, …,
/// so that writers aborted together do not collide again in step.
fn pause(attempt: u32) -> Duration {
    let mut byte = [0_u8; 1];
    let _ = getrandom::fill(&mut byte);
    let base = 2_u64 << (attempt - 1).min(4);
    Duration::from_millis(base + u64::from(byte[0]) % (base * 4))
}

/// How often writes were run again, and how often they gave up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryCounts {
    /// Transactions run again after an abort.
    pub retries: u64,
    /// Writes still aborted after [`ATTEMPTS`] runs (answered `503`).
    pub exhausted: u64,
}

/// The counts since the process started (for metrics and for tests).
pub fn counts() -> RetryCounts {
    RetryCounts {
        retries: RETRIES.load(Ordering::Relaxed),
        exhausted: EXHAUSTED.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Test(Failure);
    impl HasFailure for Test {
        fn failure(&self) -> Failure {
            self.0
        }
    }
    impl std::fmt::Display for Test {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    #[tokio::test]
    async fn an_aborted_write_runs_again_whole_until_it_commits() {
        let mut runs = 0;
        let before = counts();
        let outcome: Result<u32, Test> = write("test", || {
            runs += 1;
            let run = runs;
            async move {
                if run < 3 {
                    Err(Test(Failure::Retryable))
                } else {
                    Ok(run)
                }
            }
        })
        .await;
        assert_eq!(outcome.unwrap(), 3);
        assert!(counts().retries >= before.retries + 2);
    }

    #[tokio::test]
    async fn the_budget_is_bounded_and_other_failures_are_not_retried() {
        let mut runs = 0;
        let outcome: Result<(), Test> = write("test", || {
            runs += 1;
            async { Err(Test(Failure::Retryable)) }
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!(runs, ATTEMPTS);

        for failure in [Failure::Unavailable, Failure::CommitUnknown, Failure::Other] {
            let mut runs = 0;
            let _: Result<(), Test> = write("test", || {
                runs += 1;
                async move { Err(Test(failure)) }
            })
            .await;
            assert_eq!(runs, 1, "{failure:?} must not be retried");
        }
    }
}
