//! The form-submission test kit.
//!
#![doc = include_str!("../../docs/testing.md")]

mod app;
mod browser;
mod database;
mod outcomes;

pub use app::{AppOptions, PASSWORD, REGISTRAR, TestApp};
pub use browser::{Browser, Form, Page};
pub use database::{Backend, TestDatabase, servers_required};
pub use outcomes::{Outcomes, concurrently};
