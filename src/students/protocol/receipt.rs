//! A receipt: what a client asks the core to keep with a command's answer
//! **in the write's own transaction**, so that the answer is in the
//! database exactly when the write is (the API's idempotency keys,
//! contract §13). The core knows nothing of what a receipt holds; it calls
//! [`Receipt::keep`] just before it commits a write or a kept refusal.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{DatabaseTransaction, DbErr};

use super::Outcome;

/// What [`Receipt::keep`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Kept,
    /// Another request now answers for this receipt (its claim was taken
    /// over): the write must not commit.
    ClaimLost,
}

/// The future [`Receipt::keep`] returns.
pub type Keeping<'a> = Pin<Box<dyn Future<Output = Result<Kept, DbErr>> + Send + 'a>>;

/// Kept with a command's answer, in the transaction that commits it.
pub trait Receipt: Sync {
    /// Writes the answer to `outcome` in `txn`.
    fn keep<'a>(&'a self, txn: &'a DatabaseTransaction, outcome: &'a Outcome) -> Keeping<'a>;
}
