//! A student's values between the domain and the tables: the one mapping
//! of [`StudentValues`] to the columns that students, revisions, conflict
//! entries and import rows keep them in, and [`StudentForm`], the same
//! values as text (as typed, or as a form shows stored ones).
//!
//! This is the read side of the mapping (the write side is
//! [`crate::students::store::columns`]): a new field is named here once
//! for reading every table; the write core, the history and the import go
//! through these and never name a field themselves.

use std::borrow::Cow;

use serde::Deserialize;

use crate::db::entities::import_row::RowOutcome;
use crate::db::entities::student::{gpa_column, gpa_text};
use crate::db::entities::{conflict, import_row, revision, student};
use crate::domain::{Field, FieldErrors, FieldSet, StudentValues, confidential};

/// A student's values as a table stores them (`gpa_hundredths` as an
/// integer): borrowed from a student, a revision or a committed submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub gpa_hundredths: i16,
    pub number: Option<&'a str>,
    pub confidential: bool,
}

/// Anything that holds a student's stored values.
pub trait HasValues {
    fn stored(&self) -> Stored<'_>;

    /// One field's value as pages and files show it (`3.50` for a GPA),
    /// borrowed where the table holds it as text.
    fn text(&self, field: Field) -> Cow<'_, str> {
        let stored = self.stored();
        match field {
            Field::Name => Cow::Borrowed(stored.name),
            Field::Address => Cow::Borrowed(stored.address),
            Field::Gpa => Cow::Owned(gpa_text(stored.gpa_hundredths)),
            Field::Number => Cow::Borrowed(stored.number.unwrap_or_default()),
            Field::Confidential => Cow::Borrowed(confidential::text(stored.confidential)),
        }
    }

    /// Whether `values` are exactly these.
    fn holds(&self, values: &StudentValues) -> bool {
        let stored = self.stored();
        stored.name == values.name.as_str()
            && stored.address == values.address.as_str()
            && stored.gpa_hundredths == gpa_column(values.gpa)
            && stored.number == values.number.as_ref().map(|n| n.as_str())
            && stored.confidential == values.confidential
    }
}

impl HasValues for student::Model {
    fn stored(&self) -> Stored<'_> {
        Stored {
            name: &self.name,
            address: &self.address,
            gpa_hundredths: self.gpa_hundredths,
            number: self.student_number.as_deref(),
            confidential: self.confidential,
        }
    }
}

impl HasValues for student::Listed {
    fn stored(&self) -> Stored<'_> {
        Stored {
            name: &self.name,
            address: &self.address,
            gpa_hundredths: self.gpa_hundredths,
            number: self.student_number.as_deref(),
            confidential: self.confidential,
        }
    }
}

impl HasValues for revision::Model {
    fn stored(&self) -> Stored<'_> {
        Stored {
            name: &self.name,
            address: &self.address,
            gpa_hundredths: self.gpa_hundredths,
            number: self.student_number.as_deref(),
            confidential: self.confidential,
        }
    }
}

/// A valid import row's values, as they were checked when its file was
/// read (never parsed again); `None` for an invalid row. A row of a file
/// without an optional column has the field's blank value here: see
/// [`import_row_keeps`].
pub fn import_row(row: &import_row::Model) -> Option<StudentValues> {
    if row.outcome == RowOutcome::Invalid {
        return None;
    }
    let gpa = u16::try_from(row.gpa_hundredths?).ok()?;
    let number = row.student_number.clone().filter(|n| !n.is_empty());
    let confidential = row.confidential.as_deref() == Some(confidential::text(true));
    StudentValues::checked(
        row.name.clone(),
        row.address.clone(),
        gpa,
        number,
        confidential,
    )
}

/// The fields an import row leaves as they are (its file has no column for
/// them): the row is judged and written with the record's own values of
/// these.
pub fn import_row_keeps(row: &import_row::Model) -> FieldSet {
    Field::ALL
        .into_iter()
        .filter(|field| match field {
            Field::Number => row.student_number.is_none(),
            Field::Confidential => row.confidential.is_none(),
            Field::Name | Field::Address | Field::Gpa => false,
        })
        .collect()
}

/// `values` with `current`'s own value of each field of `kept` (an import
/// row's file without those columns leaves them as they are).
pub fn keep_stored(values: &mut StudentValues, kept: FieldSet, current: &student::Model) {
    for field in kept.iter() {
        match field {
            Field::Number => values.number = current.number(),
            Field::Confidential => values.confidential = current.confidential,
            // Required columns: a file always has them.
            Field::Name | Field::Address | Field::Gpa => {}
        }
    }
}

/// An import row's text for `field`: a valid row's canonical value, an
/// invalid row's as read.
pub fn import_row_text(row: &import_row::Model, field: Field) -> &str {
    match field {
        Field::Name => &row.name,
        Field::Address => &row.address,
        Field::Gpa => &row.gpa,
        Field::Number => row.student_number.as_deref().unwrap_or_default(),
        Field::Confidential => row.confidential.as_deref().unwrap_or_default(),
    }
}

/// The value a conflict entry kept for `field`, as sent (`None`: not sent,
/// or refused by its rule).
pub fn sent(entry: &conflict::Model, field: Field) -> Option<&String> {
    match field {
        Field::Name => entry.name.as_ref(),
        Field::Address => entry.address.as_ref(),
        Field::Gpa => entry.gpa.as_ref(),
        Field::Number => entry.student_number.as_ref(),
        Field::Confidential => entry.confidential.as_ref(),
    }
}

/// The fields `name`, `student_number`, `address`, `gpa`, `confidential`
/// as text: exactly as typed into a form, or formatted from stored values
/// as a form shows them. Missing fields read as empty, so they get a
/// "required" message rather than a `400` (an unticked checkbox sends
/// nothing: `confidential` empty is false).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StudentForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub gpa: String,
    #[serde(default)]
    pub student_number: String,
    #[serde(default)]
    pub confidential: String,
}

impl StudentForm {
    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::Name => &self.name,
            Field::Address => &self.address,
            Field::Gpa => &self.gpa,
            Field::Number => &self.student_number,
            Field::Confidential => &self.confidential,
        }
    }

    /// Valid values, or one message per invalid field.
    pub fn parse(&self) -> Result<StudentValues, FieldErrors> {
        StudentValues::parse(|field| Ok(self.value(field)))
    }

    /// [`StudentForm::parse`] for an edit of `current`: a name or address
    /// left as it was is kept as stored (see [`StudentValues::parse_edit`]).
    pub fn parse_edit(&self, current: &impl HasValues) -> Result<StudentValues, FieldErrors> {
        let stored = current.stored();
        StudentValues::parse_edit(|field| Ok(self.value(field)), stored.name, stored.address)
    }

    /// Each field's text from `text`.
    pub fn from_fn(text: impl Fn(Field) -> String) -> StudentForm {
        StudentForm {
            name: text(Field::Name),
            address: text(Field::Address),
            gpa: text(Field::Gpa),
            student_number: text(Field::Number),
            confidential: text(Field::Confidential),
        }
    }

    /// Stored values as a form shows them.
    pub fn of(stored: &impl HasValues) -> StudentForm {
        StudentForm::from_fn(|field| stored.text(field).into_owned())
    }
}

/// Valid values as a form shows them (canonical: `3.50`).
impl From<&StudentValues> for StudentForm {
    fn from(values: &StudentValues) -> Self {
        StudentForm {
            name: values.name.to_string(),
            address: values.address.to_string(),
            gpa: values.gpa.to_string(),
            student_number: values
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            confidential: confidential::text(values.confidential).to_owned(),
        }
    }
}

impl From<&student::Model> for StudentForm {
    fn from(student: &student::Model) -> Self {
        StudentForm::of(student)
    }
}

impl From<&revision::Model> for StudentForm {
    fn from(revision: &revision::Model) -> Self {
        StudentForm::of(revision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, address: &str, gpa: &str) -> StudentForm {
        StudentForm {
            name: name.into(),
            address: address.into(),
            gpa: gpa.into(),
            student_number: String::new(),
            confidential: String::new(),
        }
    }

    #[test]
    fn a_valid_form_parses_into_values() {
        let values = form(" Ada ", "1 Main St", "3.5").parse().unwrap();
        assert_eq!(values.name.as_str(), "Ada");
        assert_eq!(values.gpa.hundredths(), 350);
    }

    #[test]
    fn every_invalid_field_gets_its_own_message() {
        let mut form = form("", "x\ny", "4.01");
        form.student_number = "S 1".into();
        form.confidential = "yes".into();
        let errors = form.parse().unwrap_err();
        let fields: Vec<_> = errors.in_form_order().map(|(f, _)| f).collect();
        assert_eq!(fields, Field::ALL);
        assert!(errors.get(Field::Gpa).unwrap().contains("GPA"));
    }
}
