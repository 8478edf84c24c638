//! Argon2id password hashes (RustCrypto's `password-auth`), computed off
//! the async threads: a hash takes tens of milliseconds by design.

use std::sync::OnceLock;

use crate::domain::NewPassword;
use crate::error::AppError;

pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| AppError::Internal(format!("password hashing task: {e}")))
}

/// Whether `password` matches `hash`. Without a hash (no such account) a
/// dummy hash is checked all the same, so that the answer takes as long
/// whether or not the username exists.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
    let matches = tokio::task::spawn_blocking(move || {
        password_auth::verify_password(password, &hash).is_ok()
    })
    .await
    .unwrap_or(false);
    known && matches
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password_auth::generate_hash("registrar dummy password"))
}
