//! The form-submission test kit.
//!
#![doc = include_str!("../../docs/testing.md")]

mod api;
mod app;
mod assertions;
mod browser;
mod database;
mod form;
mod outcomes;
mod page;
mod readings;
mod scrape;
mod skips;
mod snapshot;

pub use api::{ApiClient, ApiResponse};
pub use app::{AppOptions, PASSWORD, REGISTRAR, TestApp};
pub use browser::Browser;
pub use database::{Backend, TestDatabase, servers_required};
pub use form::Form;
pub use outcomes::{Outcomes, concurrently};
pub use page::Page;
pub use readings::{
    Change, ChangeLog, ConflictPage, DeletedMeanwhile, FieldChange, FieldComparison, FieldStatus,
    History, HistoryAction, HistoryEntry, ImportChange, ImportOutcome, ImportPreview,
    ImportProblem, ImportResult, ImportRow, LogEntry, NotImportedBecause, NotImportedNotice,
    RowComparison, StaleDelete,
};
pub use scrape::{Sample, Scrape};
pub use skips::{report_skip, skipped_for};
