//! The pages of a CSV import: the upload form (with the problems of a file
//! that was refused), the preview before confirming, the progress of the
//! confirm, and its result.

use askama::Template;

use super::parse::problems::Problem;
use super::store::imports::{self, Import};
use super::store::rows::StoredRow;
use crate::db::entities::import_row::RowOutcome;
use crate::students::conflict::Comparison;
use crate::students::paths;
use crate::views::{Instant, Layout};

/// The CSV upload form, and the problems of a file that was refused.
#[derive(Template)]
#[template(path = "students/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub problems: Vec<Problem>,
    pub total_problems: usize,
    pub message: Option<String>,
    /// The largest file the upload takes (the upload handler's limit).
    pub max_upload_bytes: usize,
}

impl ImportPage {
    pub fn more_problems(&self) -> usize {
        self.total_problems.saturating_sub(self.problems.len())
    }

    pub fn max_megabytes(&self) -> usize {
        self.max_upload_bytes / (1024 * 1024)
    }

    pub fn pending_cap(&self) -> u64 {
        imports::PENDING_PER_REGISTRAR
    }
}

/// An outcome and its count, as the preview lists them.
#[derive(Debug, Clone)]
pub struct OutcomeCount {
    pub outcome: RowOutcome,
    pub count: u64,
}

impl OutcomeCount {
    /// The contract's word: `create`, `update`, …
    pub fn word(&self) -> String {
        outcome_word(self.outcome)
    }

    pub fn label(&self) -> &'static str {
        match self.outcome {
            RowOutcome::Create => "New students to create",
            RowOutcome::Update => "Students to update",
            RowOutcome::Unchanged => "Unchanged",
            RowOutcome::Conflict => "Changed by someone else since the export",
            RowOutcome::Deleted => "Deleted since the export",
            RowOutcome::Unknown => "No such student",
            RowOutcome::Invalid => "Invalid rows",
        }
    }
}

pub fn outcome_word(outcome: RowOutcome) -> String {
    sea_orm::ActiveEnum::to_value(&outcome)
}

/// One row the preview (or the result) lists.
#[derive(Debug, Clone)]
pub struct ListedRow {
    pub row: StoredRow,
    pub problems: Vec<Problem>,
    /// For a conflict: the three-way comparison, as the conflict page shows it.
    pub comparison: Option<Comparison>,
    /// Where the registrar can merge the file's values onto the record.
    pub merge_href: Option<String>,
}

impl ListedRow {
    pub fn word(&self) -> String {
        outcome_word(self.row.outcome)
    }

    pub fn id_text(&self) -> String {
        self.row
            .student_id
            .map(|id| id.to_string())
            .unwrap_or_default()
    }

    pub fn version_text(&self) -> String {
        self.row.version.map(|v| v.to_string()).unwrap_or_default()
    }
}

/// What an import would do, before the registrar confirms it.
#[derive(Template)]
#[template(path = "students/import_preview.html")]
pub struct ImportPreviewPage {
    pub layout: Layout,
    pub import: Import,
    pub checked_at: Instant,
    pub counts: Vec<OutcomeCount>,
    /// Conflicts, deleted, unknown and invalid rows first, then a sample of
    /// the rows that will be written.
    pub attention: Vec<ListedRow>,
    pub attention_total: u64,
    pub sample: Vec<ListedRow>,
    /// Why the import cannot be confirmed, if it cannot.
    pub blocked: Option<String>,
    pub all_or_nothing_rows: i64,
}

impl ImportPreviewPage {
    pub fn attention_caption(&self) -> String {
        format!(
            "{} of {} rows that will not be written as they are",
            self.attention.len(),
            self.attention_total
        )
    }

    pub fn sample_caption(&self) -> String {
        format!("The first {} rows to create or update", self.sample.len())
    }

    pub fn all_or_nothing_allowed(&self) -> bool {
        self.import.rows <= self.all_or_nothing_rows
    }
}

/// The confirm while it runs: reloads itself.
#[derive(Template)]
#[template(path = "students/import_progress.html")]
pub struct ImportProgressPage {
    pub layout: Layout,
    pub import: Import,
    pub decided: u64,
}

/// The confirm's result: what was written and what was refused.
#[derive(Template)]
#[template(path = "students/import_result.html")]
pub struct ImportResultPage {
    pub layout: Layout,
    pub import: Import,
    pub unchanged: u64,
    pub held: u64,
    pub refused_rows: Vec<ListedRow>,
    pub written_rows: Vec<ListedRow>,
    pub kept_days: i64,
}

impl ImportResultPage {
    pub fn refused_csv_href(&self) -> String {
        paths::import_refused_csv(&self.import.id)
    }

    pub fn refused_caption(&self) -> String {
        format!(
            "The first {} of {} refused rows",
            self.refused_rows.len(),
            self.import.refused
        )
    }

    pub fn written_caption(&self) -> String {
        format!(
            "The first {} of {} written rows",
            self.written_rows.len(),
            self.import.written
        )
    }
}
