//! The `409` pages of the edit protocol: each keeps everything the
//! registrar sent and says what got in first.

use askama::Template;

use super::views::{GonePage, StudentView};
use crate::domain::Field;
use crate::students::conflict::{Change, Comparison};
use crate::students::form::StudentForm;
use crate::students::paths;
use crate::views::Layout;

/// The registrar's edit form was stale.
#[derive(Template)]
#[template(path = "students/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub comparison: Comparison,
    pub name: String,
}

/// The student was deleted while the registrar edited it.
#[derive(Template)]
#[template(path = "students/deleted_meanwhile.html")]
pub struct DeletedMeanwhilePage {
    pub layout: Layout,
    pub gone: GonePage,
    pub yours: StudentForm,
}

impl DeletedMeanwhilePage {
    /// Each field with the value the registrar sent.
    pub fn inputs(&self) -> Vec<(Field, &str)> {
        Field::ALL
            .into_iter()
            .map(|field| (field, self.yours.value(field)))
            .collect()
    }
}

/// A delete from a stale page.
#[derive(Template)]
#[template(path = "students/delete_conflict.html")]
pub struct DeleteConflictPage {
    pub layout: Layout,
    pub student: StudentView,
    pub seen_version: i64,
    pub changes: Vec<Change>,
}
