//! What the student forms post, read as typed and parsed once into valid
//! fields by the domain's rules.

use serde::Deserialize;

use super::protocol::ReasonInput;
use super::store::{Revision, Student};
use crate::domain::{Field, FieldErrors, Reason, StudentFields};
use crate::error::AppError;

/// The fields `name`, `address`, `gpa` as text: exactly as typed into a
/// form, or formatted from a stored student or revision as a form shows
/// them. Missing fields read as empty, so they get a "required" message
/// rather than a `400`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StudentForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub gpa: String,
}

impl StudentForm {
    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::Name => &self.name,
            Field::Address => &self.address,
            Field::Gpa => &self.gpa,
        }
    }

    /// Valid fields, or one message per invalid field.
    pub fn parse(&self) -> Result<StudentFields, FieldErrors> {
        StudentFields::parse(|field| Ok(self.value(field)))
    }

    /// [`StudentForm::parse`] for an edit of `current`: a name or address
    /// left as it was is kept as stored (see [`StudentFields::parse_edit`]).
    pub fn parse_edit(&self, current: &Student) -> Result<StudentFields, FieldErrors> {
        StudentFields::parse_edit(
            |field| Ok(self.value(field)),
            &current.name,
            &current.address,
        )
    }
}

impl From<&Student> for StudentForm {
    fn from(student: &Student) -> Self {
        StudentForm {
            name: student.name.clone(),
            address: student.address.clone(),
            gpa: student.gpa_text(),
        }
    }
}

impl From<&Revision> for StudentForm {
    fn from(revision: &Revision) -> Self {
        StudentForm {
            name: revision.name.clone(),
            address: revision.address.clone(),
            gpa: revision.gpa_text(),
        }
    }
}

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
/// is not a version of the student is answered `422` by the protocol.)
pub fn parse_revision(raw: Option<&str>) -> Result<i64, AppError> {
    let raw = raw.ok_or(AppError::BadRequest(
        "The form does not say which version to restore. Go back to the history and try again; nothing was saved.",
    ))?;
    raw.parse::<i64>().ok().ok_or(AppError::BadRequest(
        "The version to restore is not a number. Go back to the history and try again; nothing was saved.",
    ))
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
        let fields: Vec<_> = errors.in_form_order().map(|(f, _)| f).collect();
        assert_eq!(fields, Field::ALL);
        assert!(errors.get(Field::Gpa).unwrap().contains("GPA"));
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
            assert!(parse_revision(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_revision(Some("2")).unwrap(), 2);
    }
}
