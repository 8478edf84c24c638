//! The office's accounts in the browser (contract §9).
//!
//! - [`account`]: the account as stored, finding and listing accounts;
//! - [`create`]: new accounts (by an admin, the CLI, the first setup);
//! - [`store`]: changes to accounts, by the edit protocol;
//! - [`changes`]: the record of who changed what, when;
//! - [`admin`], [`admin_forms`], [`admin_views`]: `/accounts…`, for admins;
//! - [`own`], [`own_views`]: `/account…`, everyone's own password and sessions;
//! - [`provider`]: accounts linked to the university's identity provider;
//! - [`sign_in_method`]: how an account signs in, as its pages say it;
//! - [`admin_identity`]: an admin links an account to a university identity.

pub mod account;
pub mod admin;
pub mod admin_forms;
pub mod admin_identity;
pub mod admin_views;
pub mod changes;
pub mod create;
pub mod own;
pub mod own_views;
pub mod provider;
pub mod sign_in_method;
pub mod store;

pub use account::{Account, any_exist, find_by_username, list, lock_instance};
pub use admin::named_in_path;
pub use create::{CreateError, NewAccount, create, create_account, create_first};
pub use store::disable;

use crate::domain::Username;

/// Marks a reserved username in an address: it is no username character.
const ESCAPE: char = '~';

/// The address of an account's page, `/accounts/{username}`; a name the
/// pages' addresses use ([`Username::is_reserved`]) goes behind `~`.
pub fn path(username: &str) -> String {
    if Username::is_reserved(username) {
        format!("/accounts/{ESCAPE}{username}")
    } else {
        format!("/accounts/{username}")
    }
}

/// The username that the `{username}` segment of [`path`] names.
pub fn username_in_path(segment: &str) -> &str {
    segment.strip_prefix(ESCAPE).unwrap_or(segment)
}

#[cfg(test)]
mod tests {
    use super::{path, username_in_path};

    #[test]
    fn reserved_names_are_escaped_in_paths_and_read_back() {
        for fine in ["news", ".a", "-", "x@y.z"] {
            assert_eq!(path(fine), format!("/accounts/{fine}"));
        }
        for name in ["new", "..", ".", "New"] {
            let path = path(name);
            let segment = path.strip_prefix("/accounts/").unwrap();
            assert!(segment.starts_with('~'), "{segment}");
            assert_eq!(username_in_path(segment), name);
        }
    }
}
