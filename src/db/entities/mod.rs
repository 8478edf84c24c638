//! SeaORM entities: the tables as the database holds them.
//!
//! Nothing here checks a rule; `crate::domain` does that before anything is
//! written, and `crate::students::store` is the only code that writes.

pub mod conflict;
pub mod revision;
pub mod student;
