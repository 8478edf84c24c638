//! Student fields as the registrar's rules define them (docs/contract.md).
//!
//! Each type has one constructor, `parse`, that enforces its rule; holding a
//! value means it is valid. Forms and imports go through these, never around.

mod address;
pub mod confidential;
mod disclosure;
mod field;
mod gpa;
mod name;
mod password;
mod reason;
mod role;
mod student_number;
mod text;
mod token;
mod username;
mod version;

pub use address::Address;
pub use disclosure::Disclosure;
pub use field::{Field, FieldErrors, FieldSet};
pub use gpa::Gpa;
pub use name::Name;
pub use password::NewPassword;
pub use reason::{Reason, ReasonInput};
pub use role::Role;
pub use student_number::StudentNumber;
pub use token::{TokenDays, TokenName};
pub use username::Username;
pub use version::{NotAVersion, Version};

/// The editable part of a student record, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentValues {
    pub name: Name,
    pub address: Address,
    pub gpa: Gpa,
    /// The institution's number, if the student has one.
    pub number: Option<StudentNumber>,
    /// A directory-information hold (contract §15).
    pub confidential: bool,
}

impl StudentValues {
    /// Parses every field by its rule; `text` gives each field's text, or
    /// the message of a problem found while reading it (a CSV cell that is
    /// not UTF-8). Every field is checked, so every message is returned.
    pub fn parse<'a>(text: impl Fn(Field) -> Result<&'a str, String>) -> Result<Self, FieldErrors> {
        Self::parse_with(text, Name::parse, Address::parse)
    }

    /// [`StudentValues::parse`] for an edit of a stored name and address:
    /// text equal to the stored value up to NFC is that value, kept as it is
    /// stored even if it predates the character rule (contract §1), so a save
    /// that changes nothing stays "No changes".
    pub fn parse_edit<'a>(
        text: impl Fn(Field) -> Result<&'a str, String>,
        name: &str,
        address: &str,
    ) -> Result<Self, FieldErrors> {
        Self::parse_with(
            text,
            |input| Name::parse_edit(input, name),
            |input| Address::parse_edit(input, address),
        )
    }

    fn parse_with<'a>(
        text: impl Fn(Field) -> Result<&'a str, String>,
        name: impl Fn(&str) -> Result<Name, String>,
        address: impl Fn(&str) -> Result<Address, String>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = keep(&mut errors, Field::Name, text(Field::Name), name);
        let address = keep(&mut errors, Field::Address, text(Field::Address), address);
        let gpa = keep(&mut errors, Field::Gpa, text(Field::Gpa), Gpa::parse);
        let number = keep(
            &mut errors,
            Field::Number,
            text(Field::Number),
            StudentNumber::parse,
        );
        let confidential = keep(
            &mut errors,
            Field::Confidential,
            text(Field::Confidential),
            confidential::parse,
        );
        match (name, address, gpa, number, confidential) {
            (Some(name), Some(address), Some(gpa), Some(number), Some(confidential)) => {
                Ok(StudentValues {
                    name,
                    address,
                    gpa,
                    number,
                    confidential,
                })
            }
            _ => Err(errors),
        }
    }

    /// Values that passed [`StudentValues::parse`] when they were stored,
    /// read back from a table registrar writes only from checked values (an
    /// import's rows, checked when the file was read): typed again without
    /// running the rules a second time. `None` for a GPA out of range.
    pub fn checked(
        name: String,
        address: String,
        gpa_hundredths: u16,
        number: Option<String>,
        confidential: bool,
    ) -> Option<Self> {
        Some(StudentValues {
            name: Name::checked(name),
            address: Address::checked(address),
            gpa: Gpa::from_hundredths(gpa_hundredths)?,
            number: number.map(StudentNumber::checked),
            confidential,
        })
    }

    /// The folded name, address and number, the key the list search
    /// matches and sorts by name on (contract §12).
    pub fn search_key(&self) -> String {
        fold::search_key(
            self.name.as_str(),
            self.address.as_str(),
            self.number.as_ref().map(StudentNumber::as_str),
        )
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
