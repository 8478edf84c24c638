//! Roles (contract §9): what an account may do. Who may use which route
//! and the write-time re-check of a writer live in [`crate::auth::roles`]
//! and the write core; this is only the domain's word for it.

use std::fmt;

use sea_orm::entity::prelude::*;

/// What an account may do. Ordered: each role may do everything the ones
/// before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Reads the list, records, histories and the CSV export.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// Also changes records and imports.
    #[sea_orm(string_value = "registrar")]
    Registrar,
    /// Also manages accounts.
    #[sea_orm(string_value = "admin")]
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Registrar, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Registrar => "registrar",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// What the role may do, in a sentence for pages.
    pub fn description(self) -> &'static str {
        match self {
            Role::Viewer => "reads records, histories and the export; changes nothing",
            Role::Registrar => "also creates, edits, deletes and imports records",
            Role::Admin => "also manages accounts",
        }
    }

    /// The role with its article, as a sentence says it: "a viewer", "a
    /// registrar", "an admin".
    pub fn with_article(self) -> &'static str {
        match self {
            Role::Viewer => "a viewer",
            Role::Registrar => "a registrar",
            Role::Admin => "an admin",
        }
    }

    pub fn may_change_records(self) -> bool {
        self >= Role::Registrar
    }

    pub fn may_manage_accounts(self) -> bool {
        self >= Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_are_ordered_and_parse_from_their_names() {
        assert!(Role::Viewer < Role::Registrar && Role::Registrar < Role::Admin);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::Admin.with_article(), "an admin");
        assert_eq!(Role::Viewer.with_article(), "a viewer");
    }
}
