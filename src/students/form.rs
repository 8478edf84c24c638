//! What the student forms post, read as typed and parsed once into valid
//! fields by the domain's rules.

use serde::Deserialize;

pub use super::values::StudentForm;
use crate::domain::{Reason, ReasonInput, Version};
use crate::error::AppError;

/// The create form: the student fields and the form's `submission` id.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateForm {
    #[serde(flatten)]
    pub student: StudentForm,
    pub submission: Option<String>,
}

/// The edit form: the student fields plus the `version` it was opened at,
/// the optional `reason` for the change and the form's `submission` id.
#[derive(Debug, Clone, Deserialize)]
pub struct EditForm {
    #[serde(flatten)]
    pub student: StudentForm,
    pub version: Option<String>,
    pub reason: Option<String>,
    pub submission: Option<String>,
}

/// The delete form: the `version` the registrar saw, and why.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteForm {
    pub version: Option<String>,
    pub reason: Option<String>,
}

/// The restore form of the history: the current `version`, the version
/// whose values to bring back (`revision`), and why.
#[derive(Debug, Clone, Deserialize)]
pub struct RestoreForm {
    pub version: Option<String>,
    pub revision: Option<String>,
    pub reason: Option<String>,
}

/// The undelete form of the `410` page: the deleted record's `version`.
#[derive(Debug, Clone, Deserialize)]
pub struct UndeleteForm {
    pub version: Option<String>,
    pub reason: Option<String>,
}

/// Reads a submitted `reason`: none, a valid one, or its message.
pub fn parse_reason(raw: Option<&str>) -> ReasonInput {
    Reason::parse(raw)
}

/// Reads the `revision` a restore names: an integer, else `400`. (One that
/// is not a version of the student is answered `422` by the write core.)
pub fn parse_revision(raw: Option<&str>) -> Result<Version, AppError> {
    let raw = raw.ok_or(AppError::BadRequest(
        "The form does not say which version to restore. Go back to the history and try again; nothing was saved.",
    ))?;
    Version::parse(raw).map_err(|_| {
        AppError::BadRequest(
            "The version to restore is not a number. Go back to the history and try again; nothing was saved.",
        )
    })
}

/// Reads a submitted `version`: an integer, else `400`. (An integer that is
/// not the stored version is a stale form, answered `409` by the write core.)
pub fn parse_version(raw: Option<&str>) -> Result<Version, AppError> {
    let raw = raw.ok_or(AppError::BadRequest(
        "The form is missing its version. Reload the record and try again; nothing was saved.",
    ))?;
    Version::parse(raw).map_err(|_| {
        AppError::BadRequest(
            "The form's version is not valid. Reload the record and try again; nothing was saved.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_integers() {
        assert_eq!(parse_version(Some("3")).unwrap().get(), 3);
        assert_eq!(parse_version(Some("-1")).unwrap().get(), -1);
        for bad in [
            None,
            Some(""),
            Some("x"),
            Some(" 3 "),
            Some("+3"),
            Some("1.5"),
            Some("99999999999999999999"),
        ] {
            assert!(parse_version(bad).is_err(), "{bad:?}");
            assert!(parse_revision(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_revision(Some("2")).unwrap().get(), 2);
    }
}
