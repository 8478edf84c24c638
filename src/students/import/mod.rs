//! The spreadsheet round-trip (contract §6): a CSV file is checked once,
//! its checked rows kept in the database, previewed against the records,
//! and confirmed as a job that writes each row as a versioned edit.
//!
//! - [`parse`]: reading the file a row at a time by the form's rules;
//! - [`check`]: the upload's one pass over the file, off the async workers;
//! - [`classify`]: what a row would do (create, update, unchanged, …);
//! - [`store`]: imports and their rows in the database, every statement
//!   that writes them;
//! - [`job`]: the confirm, in batches or all or nothing, resumable;
//! - [`review`]: which rows a preview page lists (a class, a place in the
//!   file);
//! - [`refused`]: why a row is not imported, as pages, files and the CLI
//!   say it;
//! - [`handlers`] (upload, show, preview, confirm, result, refused rows,
//!   merge) and [`pages`] (the templates they fill; pages knows nothing of
//!   handlers).

pub mod check;
pub mod classify;
pub mod handlers;
pub mod job;
pub mod pages;
pub mod parse;
pub mod refused;
pub mod review;
pub mod store;

pub use parse::problems::{LISTED_PROBLEMS, Problem, ProblemAt, Rejected};
pub use store::imports::sweep;
