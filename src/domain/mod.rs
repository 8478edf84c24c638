//! Student fields as the registrar's rules define them (SPEC §1).
//!
//! Each type has one constructor, `parse`, that enforces its rule; holding a
//! value means it is valid. Forms and imports go through these, never around.

mod address;
mod gpa;
mod name;
mod reason;
mod text;
mod username;

pub use address::Address;
pub use gpa::Gpa;
pub use name::Name;
pub use reason::Reason;
pub use username::{NewPassword, Username};

/// The editable part of a student record, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentFields {
    pub name: Name,
    pub address: Address,
    pub gpa: Gpa,
}

impl StudentFields {
    /// Lower-cased `name` and `address`, the key the list search matches.
    pub fn search_key(&self) -> String {
        search_key(self.name.as_str(), self.address.as_str())
    }
}

/// The search key of a name and an address; a newline separates them, so a
/// query (which is a single line) never matches across the two.
pub fn search_key(name: &str, address: &str) -> String {
    format!("{}\n{}", name.to_lowercase(), address.to_lowercase())
}
