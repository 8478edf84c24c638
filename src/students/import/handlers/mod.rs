//! The handlers of a CSV import from the browser, a file each: upload
//! (checked once, its rows kept), show (the import's page: progress, or
//! the preview and result of their own files), confirm (a job), the
//! refused rows as CSV, and the merge page of a refused row; and what they
//! share.

pub mod confirm;
pub mod merge;
pub mod preview;
pub mod refused_csv;
pub mod result;
pub mod shared;
pub mod show;
pub mod upload;

// The paths the route table names (`uploads::show`, …).
pub use confirm::confirm;
pub use merge::merge;
pub use refused_csv::refused_csv;
pub use show::show;
pub use upload::{MAX_FRAMING_BYTES, MAX_UPLOAD_BYTES, upload, upload_form};
