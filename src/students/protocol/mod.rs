//! The write core (docs/contract.md §2, §7, §10): every change to a
//! student — a create, an edit, a delete, a restore, an undelete, each row
//! of an import (and the JSON API's writes, when it comes) — goes through
//! here, and nowhere else decides whether it is written.
//!
//! One skeleton ([`run`], and [`rows`] for many rows in one transaction):
//!
//! 1. the whole write runs in the retry wrapper ([`crate::cluster::retry`]);
//! 2. it opens a write transaction and locks the row (many rows: in id
//!    order) — [`steps`];
//! 3. it re-checks the writer's role and enabled state under the lock;
//! 4. a submission that already committed is answered as such, never
//!    written twice;
//! 5. the pure decision, [`judge`], says write or refuse, and why;
//! 6. the guarded write (`UPDATE … WHERE id = ? AND version = ?`) and its
//!    revision — [`steps`];
//! 7. a refused stale submission is kept as a conflict entry **in the same
//!    transaction** that refused it;
//! 8. the writer's presence mark on the record is cleared;
//! 9. a receipt the client asked for (an API idempotency key) is kept
//!    with the answer, in the same transaction ([`Receipt`]);
//! 10. the commit, and when its outcome is unknown, the answer found by the
//!     submission id; the metrics count what committed (a replay counts as
//!     the save it repeats).
//!
//! Its input is one [`Command`]; its output one [`Outcome`], which carries
//! the row it locked and the changes since the version the client saw.
//! Nothing here knows HTTP: handlers (pages, JSON) translate outcomes into
//! answers. Backend-specific statements (a folded `UPDATE … RETURNING` on
//! PostgreSQL and SQLite) belong in [`steps`], behind the same skeleton.

mod command;
mod error;
pub mod judge;
mod outcome;
mod receipt;
mod refusal;
pub mod rows;
mod skeleton;
mod steps;

pub use command::{Act, Command};
pub use error::ProtocolError;
pub use outcome::Outcome;
pub use receipt::{Keeping, Kept, Receipt};
pub use skeleton::run;
