//! Seeing each other before the conflict (contract §8): who else has a
//! student's edit form open. Advice only, never a lock: nothing here can
//! refuse or delay a save.
//!
//! - [`store`]: marking a form open (best effort), clearing marks,
//!   reading the others' marks, sweeping old ones;
//! - [`Pace`]: how many forms one account may mark open in a while;
//! - [`Notice`]: one "Ada opened this record for editing 3 minutes ago".

pub mod pace;
pub mod store;

use chrono::{DateTime, Utc};

pub use pace::Pace;

/// How long an open edit form counts: a registrar who opened it longer ago
/// (and never saved) is taken to have gone.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// Another registrar with this student's edit form open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub username: String,
    pub opened_at: DateTime<Utc>,
    /// "just now", "1 minute ago", "12 minutes ago", as of the request.
    pub ago: String,
}

impl Notice {
    pub fn new(username: String, opened_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let ago = ago(now - opened_at);
        Notice {
            username,
            opened_at,
            ago,
        }
    }
}

fn ago(elapsed: chrono::Duration) -> String {
    match elapsed.num_minutes() {
        ..=0 => "just now".to_owned(),
        1 => "1 minute ago".to_owned(),
        minutes => format!("{minutes} minutes ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::ago;
    use chrono::Duration;

    #[test]
    fn elapsed_time_reads_as_minutes() {
        assert_eq!(ago(Duration::seconds(20)), "just now");
        assert_eq!(ago(Duration::seconds(-5)), "just now");
        assert_eq!(ago(Duration::seconds(61)), "1 minute ago");
        assert_eq!(ago(Duration::minutes(14)), "14 minutes ago");
    }
}
