//! One record of the file checked by the form's rules: its id and version
//! (together or not at all), its values (a GPA's decimal comma read as a
//! point), and every problem with its line and field.

use std::borrow::Cow;

use super::cells::{keep, unneutralise};
use super::header::Columns;
use super::problems::{Problem, ProblemAt};
use crate::domain::{Field, FieldErrors, FieldSet, StudentValues};

/// One row of the file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line it starts on, from 1 (the header).
    pub line: u64,
    pub id: Option<i64>,
    pub version: Option<i64>,
    /// The values by the form's rules, or every problem of the row.
    pub checked: Result<StudentValues, Vec<Problem>>,
    /// The values as read (in the order of [`Field::ALL`]), cut to a few
    /// hundred characters, NUL shown as ␀: what an invalid row shows.
    pub raw: [String; Field::ALL.len()],
    /// The optional fields the file has no column for (the row leaves
    /// them as they are).
    pub absent: FieldSet,
}

pub(super) fn unreadable(line: u64, message: &str) -> Row {
    Row {
        line,
        id: None,
        version: None,
        checked: Err(vec![Problem {
            line,
            at: ProblemAt::File,
            message: message.to_owned(),
        }]),
        raw: Default::default(),
        absent: FieldSet::default(),
    }
}

/// Checks one record.
pub(super) fn check(record: &csv::ByteRecord, line: u64, columns: Columns) -> Row {
    let cell = |at: usize| record.get(at).unwrap_or_default();
    let field_cell = |field: Field| columns.at(field).map_or(&[][..], cell);
    let raw = Field::ALL.map(|field| keep(&String::from_utf8_lossy(field_cell(field))));
    let mut problems = Vec::new();
    let mut note = |at: ProblemAt, message: String| {
        problems.push(Problem { line, at, message });
    };
    if record.len() != columns.width {
        let more = record.len() > columns.width;
        note(
            ProblemAt::File,
            format!(
                "This line has {} fields but the header names {}{}. Nothing was guessed: \
                 quote a value that holds the separator, and write a GPA like 3.5.",
                record.len(),
                columns.width,
                if more { "" } else { " (some are missing)" },
            ),
        );
    }
    let number = |at: Option<usize>| -> Result<Option<i64>, ()> {
        let Some(at) = at else { return Ok(None) };
        let cell = std::str::from_utf8(cell(at)).map_err(|_| ())?.trim();
        if cell.is_empty() {
            return Ok(None);
        }
        match cell.parse::<i64>() {
            Ok(n) if n >= 1 && cell.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(()),
        }
    };
    let id = number(columns.id).unwrap_or_else(|()| {
        note(
            ProblemAt::Id,
            "The id must be a student's number, as the export wrote it.".to_owned(),
        );
        None
    });
    let id_given = columns
        .id
        .is_some_and(|at| !cell(at).iter().all(u8::is_ascii_whitespace));
    let version = number(columns.version).unwrap_or_else(|()| {
        note(
            ProblemAt::Version,
            "The version must be a whole number from 1, as the export wrote it.".to_owned(),
        );
        None
    });
    let version_given = columns
        .version
        .is_some_and(|at| !cell(at).iter().all(u8::is_ascii_whitespace));
    if !id_given && version_given {
        note(
            ProblemAt::Version,
            "A row without an id creates a student, so it must not have a version.".to_owned(),
        );
    }
    if id.is_some() && !version_given {
        note(
            ProblemAt::Version,
            "A row with an id updates that student and needs the version it was exported at."
                .to_owned(),
        );
    }
    let value = |field: Field| -> Result<Cow<'_, str>, String> {
        std::str::from_utf8(field_cell(field))
            .map(unneutralise)
            .map_err(|err| {
                format!(
                    "This value is not valid UTF-8 text (byte {} of the value). \
                     Save the file as “CSV UTF-8”.",
                    err.valid_up_to() + 1
                )
            })
    };
    // A number with a decimal comma is unambiguous once it is one cell.
    let texts = Field::ALL.map(|field| {
        value(field).map(|text| match field.is_decimal() {
            true => decimal_point(&text).into_owned(),
            false => text.into_owned(),
        })
    });
    let parsed =
        StudentValues::parse(|field| texts[field.index()].as_deref().map_err(Clone::clone));
    let fields = match parsed {
        Ok(fields) => Some(fields),
        Err(errors) => {
            add_field_errors(&errors, &mut note);
            None
        }
    };
    let checked = match fields {
        Some(fields) if problems.is_empty() => Ok(fields),
        _ => Err(problems),
    };
    Row {
        line,
        id,
        version,
        checked,
        raw,
        absent: Field::ALL
            .into_iter()
            .filter(|field| columns.at(*field).is_none())
            .collect(),
    }
}

fn add_field_errors(errors: &FieldErrors, note: &mut impl FnMut(ProblemAt, String)) {
    for (field, message) in errors.in_form_order() {
        note(ProblemAt::Field(field), message.to_owned());
    }
}

/// `3,5` as `3.5`: one comma, no point, digits around it. Anything else
/// stays as written, for the GPA's rule to judge.
fn decimal_point(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    match trimmed.split_once(',') {
        Some((whole, fraction))
            if !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{whole}.{fraction}").into()
        }
        _ => text.into(),
    }
}
