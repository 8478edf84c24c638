//! How fast one account may mark forms open: a person opens an edit form
//! every few seconds at most, so an account marking hundreds a minute is
//! a script, and its marks would only fill the table and the notices.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Marks an account may make at once.
pub const BURST: u32 = 30;
/// One more mark is allowed every this long.
pub const EVERY: Duration = Duration::from_secs(2);

/// A token bucket per account, in this instance's memory (each instance
/// of several paces its own requests).
#[derive(Debug, Default)]
pub struct Pace {
    accounts: Mutex<HashMap<i64, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    /// When the last token was added (or the bucket was made).
    refilled: Instant,
}

impl Pace {
    /// Whether `account` may mark a form open now; takes one mark if so.
    pub fn allows(&self, account: i64) -> bool {
        self.allows_at(account, Instant::now())
    }

    fn allows_at(&self, account: i64, now: Instant) -> bool {
        let mut accounts = self
            .accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = accounts.entry(account).or_insert(Bucket {
            tokens: BURST,
            refilled: now,
        });
        let earned = now.saturating_duration_since(bucket.refilled).as_millis() / EVERY.as_millis();
        if earned > 0 {
            let earned = u32::try_from(earned).unwrap_or(u32::MAX);
            bucket.tokens = bucket.tokens.saturating_add(earned).min(BURST);
            bucket.refilled = if bucket.tokens == BURST {
                now
            } else {
                bucket.refilled + EVERY * earned
            };
        }
        if bucket.tokens == 0 {
            return false;
        }
        bucket.tokens -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{BURST, EVERY, Pace};
    use std::time::Instant;

    #[test]
    fn a_burst_then_one_mark_per_interval() {
        let pace = Pace::default();
        let start = Instant::now();
        let allowed = (0..3_000).filter(|_| pace.allows_at(7, start)).count();
        assert_eq!(allowed, BURST as usize);
        assert!(pace.allows_at(8, start), "another account has its own");
        assert!(!pace.allows_at(7, start + EVERY / 2));
        assert!(pace.allows_at(7, start + EVERY));
        assert!(!pace.allows_at(7, start + EVERY));
        let later = start + EVERY * (BURST * 10);
        let allowed = (0..100).filter(|_| pace.allows_at(7, later)).count();
        assert_eq!(allowed, BURST as usize, "a full bucket, no more");
    }
}
