//! The student form as posted, and its parsing into valid fields.

use std::collections::BTreeMap;

use serde::Deserialize;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::domain::{Address, Gpa, Name, StudentFields};
use crate::error::AppError;

/// The fields `name`, `address`, `gpa` exactly as typed. Missing fields
/// read as empty, so they get a "required" message rather than a `400`.
#[derive(Debug, Clone, Default, Deserialize, Validate)]
pub struct StudentForm {
    #[serde(default)]
    #[validate(custom(function = "valid_name"))]
    pub name: String,
    #[serde(default)]
    #[validate(custom(function = "valid_address"))]
    pub address: String,
    #[serde(default)]
    #[validate(custom(function = "valid_gpa"))]
    pub gpa: String,
}

/// The edit form: the student fields plus the `version` it was opened at.
#[derive(Debug, Clone, Deserialize)]
pub struct EditForm {
    #[serde(flatten)]
    pub student: StudentForm,
    pub version: Option<String>,
}

/// The delete form: only the `version` the registrar saw.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteForm {
    pub version: Option<String>,
}

/// Reads a submitted `version`: an integer, else `400`. (An integer that is
/// not the stored version is a stale form, answered `409` by the protocol.)
pub fn parse_version(raw: Option<&str>) -> Result<i64, AppError> {
    let raw = raw.ok_or(AppError::BadRequest(
        "The form is missing its version. Reload the record and try again; nothing was saved.",
    ))?;
    raw.parse::<i64>().ok().ok_or(AppError::BadRequest(
        "The form's version is not valid. Reload the record and try again; nothing was saved.",
    ))
}

/// One message per field that failed, keyed by the field's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In the order the form shows its fields.
    pub fn in_form_order(&self) -> Vec<(&'static str, &str)> {
        ["name", "address", "gpa"]
            .into_iter()
            .filter_map(|field| self.get(field).map(|message| (field, message)))
            .collect()
    }

    pub fn single(field: &'static str, message: String) -> Self {
        FieldErrors(BTreeMap::from([(field, message)]))
    }
}

impl From<ValidationErrors> for FieldErrors {
    fn from(errors: ValidationErrors) -> Self {
        let mut messages = BTreeMap::new();
        for field in ["name", "address", "gpa"] {
            if let Some(first) = errors
                .field_errors()
                .get(field)
                .and_then(|list| list.first())
            {
                let message = first
                    .message
                    .as_deref()
                    .unwrap_or("This value is not valid")
                    .to_owned();
                messages.insert(field, message);
            }
        }
        FieldErrors(messages)
    }
}

impl StudentForm {
    /// Valid fields, or one message per invalid field.
    pub fn parse(&self) -> Result<StudentFields, FieldErrors> {
        self.validate().map_err(FieldErrors::from)?;
        Ok(StudentFields {
            name: Name::parse(&self.name).map_err(|m| FieldErrors::single("name", m))?,
            address: Address::parse(&self.address)
                .map_err(|m| FieldErrors::single("address", m))?,
            gpa: Gpa::parse(&self.gpa).map_err(|m| FieldErrors::single("gpa", m))?,
        })
    }
}

fn rule(result: Result<impl Sized, String>) -> Result<(), ValidationError> {
    result
        .map(drop)
        .map_err(|message| ValidationError::new("invalid").with_message(message.into()))
}

fn valid_name(value: &str) -> Result<(), ValidationError> {
    rule(Name::parse(value))
}

fn valid_address(value: &str) -> Result<(), ValidationError> {
    rule(Address::parse(value))
}

fn valid_gpa(value: &str) -> Result<(), ValidationError> {
    rule(Gpa::parse(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, address: &str, gpa: &str) -> StudentForm {
        StudentForm {
            name: name.into(),
            address: address.into(),
            gpa: gpa.into(),
        }
    }

    #[test]
    fn a_valid_form_parses_into_fields() {
        let fields = form(" Ada ", "1 Main St", "3.5").parse().unwrap();
        assert_eq!(fields.name.as_str(), "Ada");
        assert_eq!(fields.gpa.hundredths(), 350);
    }

    #[test]
    fn every_invalid_field_gets_its_own_message() {
        let errors = form("", "x\ny", "4.01").parse().unwrap_err();
        let fields: Vec<_> = errors.in_form_order().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "address", "gpa"]);
        assert!(errors.get("gpa").unwrap().contains("GPA"));
    }

    #[test]
    fn versions_are_integers() {
        assert_eq!(parse_version(Some("3")).unwrap(), 3);
        assert_eq!(parse_version(Some("-1")).unwrap(), -1);
        for bad in [
            None,
            Some(""),
            Some("x"),
            Some(" 3 "),
            Some("1.5"),
            Some("99999999999999999999"),
        ] {
            assert!(parse_version(bad).is_err(), "{bad:?}");
        }
    }
}
