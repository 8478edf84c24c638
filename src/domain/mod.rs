//! Student fields as the registrar's rules define them (docs/contract.md).
//!
//! Each type has one constructor, `parse`, that enforces its rule; holding a
//! value means it is valid. Forms and imports go through these, never around.

mod address;
mod field;
mod gpa;
mod name;
mod password;
mod text;
mod username;

pub use address::Address;
pub use field::{Field, FieldErrors};
pub use gpa::Gpa;
pub use name::Name;
pub use password::NewPassword;
pub use username::Username;

/// The editable part of a student record, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentFields {
    pub name: Name,
    pub address: Address,
    pub gpa: Gpa,
}

impl StudentFields {
    /// Parses every field by its rule; `text` gives each field's text, or
    /// the message of a problem found while reading it (a CSV cell that is
    /// not UTF-8). Every field is checked, so every message is returned.
    pub fn parse<'a>(text: impl Fn(Field) -> Result<&'a str, String>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = keep(&mut errors, Field::Name, text(Field::Name), Name::parse);
        let address = keep(
            &mut errors,
            Field::Address,
            text(Field::Address),
            Address::parse,
        );
        let gpa = keep(&mut errors, Field::Gpa, text(Field::Gpa), Gpa::parse);
        match (name, address, gpa) {
            (Some(name), Some(address), Some(gpa)) => Ok(StudentFields { name, address, gpa }),
            _ => Err(errors),
        }
    }

    /// Lower-cased `name` and `address`, the key the list search matches.
    pub fn search_key(&self) -> String {
        search_key(self.name.as_str(), self.address.as_str())
    }
}

/// The parsed value, or `None` with the field's message kept in `errors`.
fn keep<T>(
    errors: &mut FieldErrors,
    field: Field,
    text: Result<&str, String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    match text.and_then(parse) {
        Ok(value) => Some(value),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

/// The search key of a name and an address; a newline separates them, so a
/// query (which is a single line) never matches across the two.
pub fn search_key(name: &str, address: &str) -> String {
    format!("{}\n{}", name.to_lowercase(), address.to_lowercase())
}
