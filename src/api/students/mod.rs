//! `/api/v1/students`: the students as JSON (contract §13).
//!
//! - [`read`]: the list (searched, by cursor), one student (`ETag`,
//!   `304`, `410`), its history;
//! - [`write`]: create, `PATCH` (JSON Merge Patch) and `DELETE`, each one
//!   command to the write core, `If-Match` required on a change, and an
//!   `Idempotency-Key` honoured on every write;
//! - [`members`]: a body's members read into the text the core judges;
//! - [`answers`]: the one translation of the core's outcomes into answers.

pub mod answers;
pub mod members;
pub mod read;
pub mod write;
