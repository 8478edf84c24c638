//! Counting what many concurrent submissions got back.

use std::collections::BTreeMap;

use axum::http::StatusCode;

/// How many responses had each status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    by_status: BTreeMap<u16, u64>,
}

impl Outcomes {
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

/// Runs `clients` tasks at once, each given its index, and adds up the
/// [`Outcomes`] they return: the shape of every "N registrars submit at the
/// same time" test.
///
/// Panics if a client task panics (its assertion failed).
pub async fn concurrently<F, Fut>(clients: usize, client: F) -> Outcomes
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Outcomes> + Send + 'static,
{
    let tasks: Vec<_> = (0..clients).map(|i| tokio::spawn(client(i))).collect();
    let mut all = Outcomes::default();
    for task in tasks {
        all.merge(&task.await.expect("a concurrent client panicked"));
    }
    all
}
