//! The one mapping of a student's values to columns, for every table that
//! keeps them: students (with the search key), revisions, conflict entries
//! (as sent, each value kept only if it keeps its rule) and the multi-row
//! statements of [`super::bulk`]. This is the write side (the read side is
//! [`crate::students::values`]): a new field is named here once for
//! writing every table.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, SimpleExpr};

use crate::db::entities::student::gpa_column;
use crate::db::entities::{conflict, import_row, revision, student};
use crate::db::joined::Typed;
use crate::domain::{Field, FieldSet, StudentValues, confidential};

/// The names of [`STUDENT`]'s columns, for raw statements.
pub const STUDENT_NAMES: [&str; 6] = [
    "name",
    "address",
    "gpa_hundredths",
    "student_number",
    "confidential",
    "search_key",
];

/// The value columns of the students table (the search key last).
pub const STUDENT: [student::Column; 6] = [
    student::Column::Name,
    student::Column::Address,
    student::Column::GpaHundredths,
    student::Column::StudentNumber,
    student::Column::Confidential,
    student::Column::SearchKey,
];

/// The value columns of the revisions table, as [`STUDENT`]'s.
pub const REVISION: [revision::Column; 5] = [
    revision::Column::Name,
    revision::Column::Address,
    revision::Column::GpaHundredths,
    revision::Column::StudentNumber,
    revision::Column::Confidential,
];

/// The value columns of the import rows table: the text a page shows (a
/// valid row's canonical values, an invalid row's as read), a valid
/// row's GPA as a number, the student number and the hold (`NULL`: not in
/// the file).
pub const IMPORT_ROW: [import_row::Column; 6] = [
    import_row::Column::Name,
    import_row::Column::Address,
    import_row::Column::Gpa,
    import_row::Column::GpaHundredths,
    import_row::Column::StudentNumber,
    import_row::Column::Confidential,
];

/// The values of [`IMPORT_ROW`] for a row: checked, or as read (`raw`, in
/// form order) when it is invalid; `absent` are the optional fields the
/// file has no column for.
pub fn import_row_values(
    checked: Option<&StudentValues>,
    raw: &[String],
    absent: FieldSet,
) -> [SimpleExpr; 6] {
    let given = |field: Field, text: String| (!absent.contains(field)).then_some(text);
    match checked {
        Some(values) => [
            values.name.to_string().into(),
            values.address.to_string().into(),
            values.gpa.to_string().into(),
            Some(gpa_column(values.gpa)).into(),
            given(Field::Number, number_text(values)).into(),
            given(
                Field::Confidential,
                confidential::text(values.confidential).to_owned(),
            )
            .into(),
        ],
        None => {
            let raw = |field: Field| raw.get(field.index()).cloned().unwrap_or_default();
            [
                raw(Field::Name).into(),
                raw(Field::Address).into(),
                raw(Field::Gpa).into(),
                None::<i16>.into(),
                given(Field::Number, raw(Field::Number)).into(),
                given(Field::Confidential, raw(Field::Confidential)).into(),
            ]
        }
    }
}

/// A student number as an import row keeps it: `""` for none.
fn number_text(values: &StudentValues) -> String {
    values
        .number
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Owned column values of [`StudentValues`], as every table writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    name: String,
    address: String,
    gpa_hundredths: i16,
    number: Option<String>,
    confidential: bool,
    search_key: String,
}

impl Columns {
    pub fn of(values: &StudentValues) -> Columns {
        Columns {
            name: values.name.to_string(),
            address: values.address.to_string(),
            gpa_hundredths: gpa_column(values.gpa),
            number: values.number.as_ref().map(ToString::to_string),
            confidential: values.confidential,
            search_key: values.search_key(),
        }
    }

    /// The search key these values store (contract §12).
    pub fn search_key(&self) -> &str {
        &self.search_key
    }

    /// The stored values of `student`.
    pub fn stored(student: &student::Model) -> Columns {
        Columns {
            name: student.name.clone(),
            address: student.address.clone(),
            gpa_hundredths: student.gpa_hundredths,
            number: student.student_number.clone(),
            confidential: student.confidential,
            search_key: student.search_key.clone(),
        }
    }

    /// `student` with these values (the row after a write).
    pub fn onto(self, student: student::Model) -> student::Model {
        student::Model {
            name: self.name,
            address: self.address,
            gpa_hundredths: self.gpa_hundredths,
            student_number: self.number,
            confidential: self.confidential,
            search_key: self.search_key,
            ..student
        }
    }

    /// Sets the values of a student's row about to be inserted.
    pub fn set_student(self, model: &mut student::ActiveModel) {
        model.name = Set(self.name);
        model.address = Set(self.address);
        model.gpa_hundredths = Set(self.gpa_hundredths);
        model.student_number = Set(self.number);
        model.confidential = Set(self.confidential);
        model.search_key = Set(self.search_key);
    }

    /// Sets the values of a revision about to be inserted.
    pub fn set_revision(self, model: &mut revision::ActiveModel) {
        model.name = Set(self.name);
        model.address = Set(self.address);
        model.gpa_hundredths = Set(self.gpa_hundredths);
        model.student_number = Set(self.number);
        model.confidential = Set(self.confidential);
    }

    /// The students table's value columns set to these, in an update.
    pub fn update(
        &self,
        update: sea_orm::UpdateMany<student::Entity>,
    ) -> sea_orm::UpdateMany<student::Entity> {
        STUDENT
            .into_iter()
            .zip(self.student_values())
            .fold(update, |update, (column, value)| {
                update.col_expr(column, Expr::value(value))
            })
    }

    /// The values of [`STUDENT`], in its order.
    pub fn student_values(&self) -> [SimpleExpr; 6] {
        [
            self.name.clone().into(),
            self.address.clone().into(),
            self.gpa_hundredths.into(),
            self.number.clone().into(),
            self.confidential.into(),
            self.search_key.clone().into(),
        ]
    }

    /// The values of [`REVISION`], in its order.
    pub fn revision_values(&self) -> [SimpleExpr; 5] {
        [
            self.name.clone().into(),
            self.address.clone().into(),
            self.gpa_hundredths.into(),
            self.number.clone().into(),
            self.confidential.into(),
        ]
    }

    /// The values of [`STUDENT`] typed for a joined update, in the order
    /// of [`STUDENT_NAMES`].
    pub fn typed(&self) -> [Typed; 6] {
        [
            (self.name.clone().into(), "text"),
            (self.address.clone().into(), "text"),
            (self.gpa_hundredths.into(), "smallint"),
            (self.number.clone().into(), "text"),
            (self.confidential.into(), "boolean"),
            (self.search_key.clone().into(), "text"),
        ]
    }
}

/// The revision of `student` (as a change of `action`, stored as its
/// word, leaves it) as the chain encodes it (contract §15): the values the
/// revision row stores, read from the same model.
pub fn chained<'a>(
    student: &'a student::Model,
    action: &'a str,
    reason: Option<&'a str>,
) -> chain::Revision<'a> {
    chain::Revision {
        student_id: student.id,
        version: student.version,
        action,
        name: &student.name,
        student_number: student.student_number.as_deref(),
        address: &student.address,
        gpa_hundredths: student.gpa_hundredths,
        confidential: student.confidential,
        registrar: &student.updated_by,
        at: student.updated_at,
        reason,
    }
}

/// A stored revision as the chain encodes it: the read side of
/// [`chained`], so `audit verify` recomputes exactly what was hashed.
pub fn stored_chained<'a>(revision: &'a revision::Model, action: &'a str) -> chain::Revision<'a> {
    chain::Revision {
        student_id: revision.student_id,
        version: revision.version,
        action,
        name: &revision.name,
        student_number: revision.student_number.as_deref(),
        address: &revision.address,
        gpa_hundredths: revision.gpa_hundredths,
        confidential: revision.confidential,
        registrar: &revision.registrar,
        at: revision.at,
        reason: revision.reason.as_deref(),
    }
}

/// Sets a conflict entry's values: each field's kept text (`None`: not
/// sent, or refused by its rule).
pub fn set_conflict(model: &mut conflict::ActiveModel, kept: impl Fn(Field) -> Option<String>) {
    model.name = Set(kept(Field::Name));
    model.address = Set(kept(Field::Address));
    model.gpa = Set(kept(Field::Gpa));
    model.student_number = Set(kept(Field::Number));
    model.confidential = Set(kept(Field::Confidential));
}
