//! Imports and their checked rows in the database: every statement that
//! writes the `imports` and `import_rows` tables is in these files (the
//! upload's check, the handlers, the confirm job, the CLI and the sweep
//! call them). Rows go in
//! and come out in bounded batches, so no statement carries more than a few
//! hundred rows (MariaDB's `max_allowed_packet`, every backend's limit on
//! bound parameters).
//!
//! - [`imports`]: an import created (within the account's limit), found,
//!   discarded, swept once expired;
//! - [`checks`]: the upload's check: its lease on the import, and how it
//!   ends (waiting for a confirm, or failed);
//! - [`rows`]: the checked rows stored, marked duplicate, counted and read;
//! - [`row_pages`]: the rows a page at a time, for review (by outcome, by
//!   cursor);
//! - [`confirm`]: what the confirm job writes: its import's state, lease
//!   and counts, and each row's result.

pub mod checks;
pub mod confirm;
pub mod imports;
pub mod row_pages;
pub mod rows;

// The paths the CLI, the tests and the benches name (`store::get`, …).
pub use imports::{PENDING_PER_REGISTRAR, discard, get, sweep};
pub use rows::{counts, problems, rows_resulting, rows_with};
