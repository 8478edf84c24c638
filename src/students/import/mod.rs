//! Importing students from a CSV file: upload, check every row, show a
//! preview, and create all of them only when the registrar confirms.
//!
//! - [`parse`]: reading the file by the form's rules, and the import's
//!   one transaction (also used by `registrar import`);
//! - [`handlers`]: upload, preview and confirm;
//! - [`pending`]: the checked file, waiting in the database in between;
//! - [`pages`]: the upload form and the preview.

pub mod handlers;
pub mod pages;
pub mod parse;
pub mod pending;

pub use parse::{LISTED_PROBLEMS, Problem, ProblemAt, Rejected, import, parse};
pub use pending::sweep;
