//! The office's accounts in the browser (contract §9).
//!
//! - [`store`]: changes to accounts, by the edit protocol;
//! - [`changes`]: the record of who changed what, when;
//! - [`admin`], [`admin_views`]: `/accounts…`, for admins;
//! - [`own`], [`own_views`]: `/account…`, everyone's own password and sessions.

pub mod admin;
pub mod admin_views;
pub mod changes;
pub mod own;
pub mod own_views;
pub mod store;

/// The address of an account's page, `/accounts/{username}` (a reserved
/// name escaped, see [`crate::domain::username::path_segment`]).
pub fn path(username: &str) -> String {
    format!(
        "/accounts/{}",
        crate::domain::username::path_segment(username)
    )
}
