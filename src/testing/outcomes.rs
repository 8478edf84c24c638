//! Many submitters at once: a start line they all leave together, and
//! a count of what they got back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use tokio::sync::watch;

/// How many responses had each status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    by_status: BTreeMap<u16, u64>,
}

impl Outcomes {
    /// The outcome of one submission.
    pub fn of(status: StatusCode) -> Outcomes {
        let mut outcomes = Outcomes::default();
        outcomes.record(status);
        outcomes
    }

    pub fn record(&mut self, status: StatusCode) {
        *self.by_status.entry(status.as_u16()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Outcomes) {
        for (status, count) in &other.by_status {
            *self.by_status.entry(*status).or_default() += count;
        }
    }

    pub fn count(&self, status: StatusCode) -> u64 {
        self.by_status.get(&status.as_u16()).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.by_status.values().sum()
    }

    /// Responses with any status other than those listed.
    pub fn others(&self, expected: &[StatusCode]) -> BTreeMap<u16, u64> {
        self.by_status
            .iter()
            .filter(|(status, _)| !expected.iter().any(|e| e.as_u16() == **status))
            .map(|(s, c)| (*s, *c))
            .collect()
    }
}

/// Runs `clients` tasks at once, each given its index and a [`Start`],
/// and adds up the [`Outcomes`] they return: the shape of every "N
/// registrars submit at the same time" test.
///
/// A client does its slow preparation first (signing in, opening the
/// form), then `start.wait().await`: no client goes past that line before
/// every client has reached it, so the submissions after it really race
/// instead of trickling in as each client finishes signing in. A client
/// that never waits (or panics before it does) does not hold the others
/// back: dropping its `Start` counts as arriving.
///
/// Panics if a client task panics (its assertion failed).
///
/// ```
/// # #[tokio::main] async fn main() {
/// use std::sync::{Arc, Mutex};
/// use std::time::Instant;
/// use axum::http::StatusCode;
/// use registrar::testing::{Outcomes, concurrently};
///
/// let left = Arc::new(Mutex::new(Vec::new()));
/// let outcomes = concurrently(4, |client, start| {
///     let left = Arc::clone(&left);
///     async move {
///         // Preparations of different lengths...
///         tokio::time::sleep(std::time::Duration::from_millis(50 * client as u64)).await;
///         let arrived = Instant::now();
///         start.wait().await;
///         // ...yet everyone leaves after the last one arrived.
///         left.lock().unwrap().push((arrived, Instant::now()));
///         Outcomes::of(StatusCode::OK)
///     }
/// })
/// .await;
/// assert_eq!(outcomes.count(StatusCode::OK), 4);
/// let times = left.lock().unwrap();
/// let last_arrival = times.iter().map(|(arrived, _)| *arrived).max().unwrap();
/// assert!(times.iter().all(|(_, left)| *left >= last_arrival));
/// # }
/// ```
pub async fn concurrently<F, Fut>(clients: usize, client: F) -> Outcomes
where
    F: Fn(usize, Start) -> Fut,
    Fut: std::future::Future<Output = Outcomes> + Send + 'static,
{
    let line = StartLine::new(clients);
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(client(i, line.place())))
        .collect();
    let mut all = Outcomes::default();
    for task in tasks {
        all.merge(&task.await.expect("a concurrent client panicked"));
    }
    all
}

/// Where every client of [`concurrently`] waits for the others.
struct StartLine {
    not_arrived: AtomicUsize,
    go: watch::Sender<bool>,
}

impl StartLine {
    fn new(clients: usize) -> Arc<StartLine> {
        let (go, _) = watch::channel(clients == 0);
        Arc::new(StartLine {
            not_arrived: AtomicUsize::new(clients),
            go,
        })
    }

    fn place(self: &Arc<Self>) -> Start {
        Start {
            line: Arc::clone(self),
            arrived: false,
        }
    }

    fn arrive(&self) {
        if self.not_arrived.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.go.send_replace(true);
        }
    }
}

/// One client's place on the start line of [`concurrently`].
pub struct Start {
    line: Arc<StartLine>,
    arrived: bool,
}

impl Start {
    /// Waits until every client has arrived (or given up its place).
    pub async fn wait(mut self) {
        let mut go = self.line.go.subscribe();
        self.arrived = true;
        self.line.arrive();
        // The sender lives in `self.line`, so this cannot fail.
        let _ = go.wait_for(|go| *go).await;
    }
}

impl Drop for Start {
    fn drop(&mut self) {
        if !self.arrived {
            self.line.arrive();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::StatusCode;

    use super::{Outcomes, concurrently};

    #[tokio::test]
    async fn a_client_that_never_waits_does_not_hold_the_others_back() {
        let run = concurrently(3, |client, start| async move {
            if client != 0 {
                start.wait().await;
            } // client 0 gives its place up by dropping it
            Outcomes::of(StatusCode::OK)
        });
        let outcomes = tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("the start line opened");
        assert_eq!(outcomes.count(StatusCode::OK), 3);
    }
}
