//! The pages of a CSV import: the upload form (with the problems of a
//! file that was refused) and the preview before confirming.

use askama::Template;

use super::parse::Problem;
use crate::students::paths;
use crate::students::record::views::StudentView;
use crate::views::Layout;

/// The CSV upload form, and the problems of a file that was refused.
#[derive(Template)]
#[template(path = "students/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub problems: Vec<Problem>,
    pub total_problems: usize,
    pub message: Option<String>,
}

impl ImportPage {
    pub fn more_problems(&self) -> usize {
        self.total_problems.saturating_sub(self.problems.len())
    }
}

/// What an import would create, before the registrar confirms it.
#[derive(Template)]
#[template(path = "students/import_preview.html")]
pub struct ImportPreviewPage {
    pub layout: Layout,
    pub id: String,
    pub filename: String,
    pub count: usize,
    pub sample: Vec<StudentView>,
}
