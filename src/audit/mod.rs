//! The tamper-evident history (contract §15): every revision's hash
//! chains it to the one before it of the same student (written by the
//! write core, [`crate::students::store`]); this module checks the chains
//! ([`check`], [`verify`]), takes digests of them ([`digest`]), and is
//! `registrar audit` ([`cli`]).

pub mod check;
pub mod cli;
mod cursors;
pub mod digest;
pub mod verify;

pub use cursors::Scope;
