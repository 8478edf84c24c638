//! Who looked (contract §15): every view of a student's record, edit form,
//! delete confirmation, history or comparison, every CSV export (its query
//! and rows) and every read of the access log itself is recorded — who,
//! when, what, from which address, and whether the record was
//! confidential.
//!
//! - [`witness`]: what a handler records through ([`Witness`], an
//!   extractor: the account, the client's address, the instance's log);
//! - [`writer`]: the instance's queue and its batched writer (never a
//!   write in a request's path; flushed every second and at shutdown);
//! - [`store`]: the table's statements; [`retention`]: the sweeper;
//! - [`filters`], [`pages`], [`csv`]: `GET /audit/access` and its CSV;
//! - [`viewers`]: "Who viewed this record" on a history page.

pub mod csv;
pub mod filters;
pub mod pages;
pub mod retention;
pub mod store;
pub mod viewers;
pub mod witness;
pub mod writer;

use chrono::{DateTime, Utc};

pub use crate::db::entities::access_entry::ViewKind;
pub use witness::{ExportTally, Witness};
pub use writer::{AccessLog, AccessWriter};

/// One look, recorded but not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub at: DateTime<Utc>,
    pub account: String,
    pub kind: ViewKind,
    pub student_id: Option<i64>,
    pub query: Option<String>,
    pub rows: Option<i64>,
    pub client_addr: String,
    pub confidential: bool,
}

/// The longest query string kept (the rest is cut).
pub const QUERY_CHARS: usize = 1_000;
