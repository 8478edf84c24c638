//! The admin pages' forms, as posted (`/accounts…`).

use serde::Deserialize;

use crate::domain::Version;
use crate::error::AppError;

#[derive(Debug, Default, Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
    /// Present (any value) when the new user must choose their own password.
    #[serde(default)]
    pub must_change_password: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub(super) role: String,
    #[serde(default)]
    pub(super) enabled: String,
    #[serde(default)]
    pub(super) version: String,
}

/// The version the form was opened at: a whole number exactly as written
/// ([`Version::parse`], as the students' forms read it), else `400`.
pub(super) fn seen_version(version: &str) -> Result<i64, AppError> {
    Version::parse(version).map(Version::get).map_err(|_| {
        AppError::BadRequest("The form's version is missing or not a number. Nothing was saved.")
    })
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub(super) password: String,
    #[serde(default)]
    pub(super) must_change_password: Option<String>,
    #[serde(default)]
    pub(super) version: String,
}
