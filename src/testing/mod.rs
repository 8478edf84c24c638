//! The form-submission test kit.
//!
#![doc = include_str!("../../docs/testing.md")]

mod app;
mod browser;
mod database;
mod form;
mod outcomes;
mod page;
mod skips;

pub use app::{AppOptions, PASSWORD, REGISTRAR, TestApp};
pub use browser::Browser;
pub use database::{Backend, TestDatabase, servers_required};
pub use form::Form;
pub use outcomes::{Outcomes, concurrently};
pub use page::Page;
pub use skips::{report_skip, skipped_for};
