//! Running on clustered databases (docs/contract.md §10): what a failed
//! write means ([`failure`]), the one wrapper that runs an aborted write
//! transaction again ([`retry`]), read-your-writes on Galera ([`wsrep`]),
//! and the submission id that tells whether a save whose commit was cut
//! off did commit ([`submission`]).

pub mod failure;
pub mod retry;
pub mod submission;
pub mod wsrep;

pub use failure::{Failure, HasFailure};
