//! The one retry wrapper for write transactions (docs/contract.md §10).
//!
//! A write is a closure that opens its transaction, does the whole write
//! from what was submitted, and commits. When the database aborted it
//! ([`Failure::Retryable`]: a Galera certification failure, a PostgreSQL
//! serialization failure), nothing of it committed and the transaction was
//! rolled back (dropping a SeaORM transaction rolls it back), so the closure
//! runs again, from the start, after a random pause that grows with each
//! abort, for as long as the budget of time allows: the lock timeout, the
//! longest a write would otherwise have waited for a row another writer
//! held. Every other outcome is returned as it is: an unavailable database
//! answers `503` at once, and a commit whose outcome is unknown is never
//! run again blindly.
//!
//! Applying it to a write: `retry::write("what", || the_write(db, …)).await`.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::failure::{Failure, HasFailure};

/// The budget before [`set_budget`] is called: the default lock timeout.
const DEFAULT_BUDGET: Duration = Duration::from_secs(5);

/// The first pause's upper bound; each abort doubles it, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(4);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

static BUDGET_MS: AtomicU64 = AtomicU64::new(DEFAULT_BUDGET.as_millis() as u64);
static RETRIES: AtomicU64 = AtomicU64::new(0);
static EXHAUSTED: AtomicU64 = AtomicU64::new(0);

/// Sets how long a write may keep running again after aborts (the
/// process's lock timeout, set once when it connects).
pub fn set_budget(budget: Duration) {
    let ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX).max(1);
    BUDGET_MS.store(ms, Ordering::Relaxed);
}

fn budget() -> Duration {
    Duration::from_millis(BUDGET_MS.load(Ordering::Relaxed))
}

/// Runs `write` until it does not fail with [`Failure::Retryable`], for as
/// long as the process's budget ([`set_budget`]) allows; `what` names the
/// write in logs and counts.
pub async fn write<T, E, F, Fut>(what: &'static str, write: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: HasFailure + std::fmt::Display,
{
    write_within(budget(), what, write).await
}

/// [`write`] with a budget of its own: a write that would still be
/// aborted after `budget` (counted from its first run, pauses included)
/// gives up with the last abort.
pub async fn write_within<T, E, F, Fut>(
    budget: Duration,
    what: &'static str,
    mut write: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: HasFailure + std::fmt::Display,
{
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        match write().await {
            Err(err) if err.failure() == Failure::Retryable => {
                let pause = pause(attempt);
                if started.elapsed() + pause > budget {
                    EXHAUSTED.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(write = what, attempts = attempt, error = %err,
                        waited_ms = started.elapsed().as_millis() as u64,
                        "aborted by the database until the retry budget ran out: giving up");
                    return Err(err);
                }
                RETRIES.fetch_add(1, Ordering::Relaxed);
                crate::metrics::record_retry();
                tracing::info!(write = what, attempt, error = %err,
                    "aborted by the database: running the whole transaction again");
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// A random pause ("full jitter") below a bound that doubles with each
/// abort, from [`FIRST_PAUSE`] to [`LONGEST_PAUSE`], so that writers aborted
/// together spread out instead of colliding again in step, and a hot row's
/// writers queue for it rather than give up.
fn pause(attempt: u32) -> Duration {
    let bound = FIRST_PAUSE
        .saturating_mul(1 << (attempt - 1).min(16))
        .min(LONGEST_PAUSE);
    let mut bytes = [0_u8; 4];
    let _ = getrandom::fill(&mut bytes);
    let micros = u64::try_from(bound.as_micros()).unwrap_or(u64::MAX).max(2);
    // At least half the bound: a pause of nothing would collide at once.
    Duration::from_micros(micros / 2 + u64::from(u32::from_le_bytes(bytes)) % (micros / 2))
}

/// How often writes were run again, and how often they gave up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryCounts {
    /// Transactions run again after an abort.
    pub retries: u64,
    /// Writes still aborted when their budget ran out (answered `503`).
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
    async fn the_budget_is_time_and_other_failures_are_not_retried() {
        let mut runs = 0;
        let outcome: Result<(), Test> = write_within(Duration::from_millis(300), "test", || {
            runs += 1;
            async { Err(Test(Failure::Retryable)) }
        })
        .await;
        assert!(outcome.is_err());
        // Pauses of 2–4 ms, 4–8 ms, … 125–250 ms fit 4 to 8 runs into 300 ms.
        assert!(
            (4..=9).contains(&runs),
            "an aborted write runs again while the budget lasts, then gives up: {runs} runs"
        );

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

    #[test]
    fn pauses_grow_and_stay_within_their_bounds() {
        for attempt in 1..40 {
            let bound = FIRST_PAUSE
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(LONGEST_PAUSE);
            for _ in 0..50 {
                let pause = pause(attempt);
                assert!(
                    pause >= bound / 2 && pause < bound,
                    "{attempt}: {pause:?} of {bound:?}"
                );
            }
        }
    }
}
