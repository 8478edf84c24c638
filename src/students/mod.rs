//! Students: their pages, their forms and the edit protocol that guards
//! every change to them.
//!
//! - [`protocol`]: the write core: every change to a student (create,
//!   edit, delete, restore, undelete, each import row) as one command
//!   through one locked, versioned transaction script;
//! - [`values`]: a student's values between the domain and the tables,
//!   and as text (the forms);
//! - [`conflict`]: the three-way comparison a stale submission is shown,
//!   and the one diff of two revisions;
//! - [`store`]: the only code that writes students, revisions and
//!   conflict entries, and the queries of their history;
//! - [`form`]: what the student forms post, parsed once;
//! - [`record`]: one student's pages and forms, and their handlers;
//! - [`list`]: the list, searched, sorted and paged;
//! - [`history`]: a student's revisions and refused submissions;
//! - [`compare`]: two of its versions compared field by field;
//! - [`changes`]: the office's change log ("My changes" is it filtered to
//!   oneself), as a page and as CSV;
//! - [`export`]: the list as CSV, streamed;
//! - [`import`]: a CSV file checked, previewed and imported;
//! - [`demo`]: deterministic demo data;
//! - [`cli`]: `registrar demo`, `export` and `import`;
//! - [`paths`]: every address of these pages, built in one place.

pub mod changes;
pub mod cli;
pub mod compare;
pub mod conflict;
pub mod demo;
pub mod export;
pub mod form;
pub mod history;
pub mod import;
pub mod list;
pub mod paths;
pub mod protocol;
pub mod record;
pub mod store;
pub mod values;
