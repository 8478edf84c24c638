//! Every address of the students' pages, built in one place: handlers
//! redirect to these and templates link to them (`paths::student(id)`;
//! templates pass references, so ids are taken as `Borrow<i64>`).

use std::borrow::Borrow;

/// The list, and where a new student is posted.
pub const LIST: &str = "/students";
/// The create form.
pub const NEW: &str = "/students/new";
/// The list as CSV.
pub const CSV: &str = "/students.csv";
/// The upload form of a CSV import.
pub const IMPORT: &str = "/students/import";
/// The office's change log.
pub const CHANGES: &str = "/changes";
/// The change log as CSV.
pub const CHANGES_CSV: &str = "/changes.csv";

/// A student's page, and where its edit form is posted.
pub fn student(id: impl Borrow<i64>) -> String {
    let id = id.borrow();
    format!("/students/{id}")
}

pub fn edit(id: impl Borrow<i64>) -> String {
    let id = id.borrow();
    format!("/students/{id}/edit")
}

pub fn delete(id: impl Borrow<i64>) -> String {
    let id = id.borrow();
    format!("/students/{id}/delete")
}

pub fn history(id: impl Borrow<i64>) -> String {
    let id = id.borrow();
    format!("/students/{id}/history")
}

/// Where a history entry's "Restore" form is posted.
pub fn restore(id: i64) -> String {
    format!("/students/{id}/restore")
}

/// Where the `410` page's "Undelete" form is posted.
pub fn undelete(id: i64) -> String {
    format!("/students/{id}/undelete")
}

/// What changed between versions `from` and `to`, field by field.
pub fn compare(id: i64, from: i64, to: i64) -> String {
    format!("/students/{id}/history?from={from}&to={to}")
}

/// Page `page` (1-based) of a student's history.
pub fn history_page(id: i64, page: u64) -> String {
    format!("/students/{id}/history?page={page}")
}

/// The preview of an uploaded CSV file, and where it is confirmed.
pub fn import_preview(upload: impl AsRef<str>) -> String {
    format!("/students/import/{}", upload.as_ref())
}

/// The rows an import refused, as CSV to fix and import again.
pub fn import_refused_csv(upload: impl AsRef<str>) -> String {
    format!("/students/import/{}/refused.csv", upload.as_ref())
}

/// The merge page of row `seq` of an import: the conflict page's
/// comparison and merge form, the file's values on top of the record.
pub fn import_merge(upload: impl AsRef<str>, seq: i64) -> String {
    format!("/students/import/{}/rows/{seq}/merge", upload.as_ref())
}
