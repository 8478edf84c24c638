//! The pages of a CSV import: the upload form (with the problems of a file
//! that was refused), the preview before confirming, the progress of the
//! confirm, and its result.

use askama::Template;

use super::parse::problems::Problem;
use super::refused::NotImported;
use super::review::outcome_word;
use super::store::imports::{self, Import};
use super::store::rows::StoredRow;
use crate::db::entities::import_row::RowOutcome;
use crate::students::conflict::{Comparison, FieldChange};
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

/// An outcome and its count, as the preview lists them, with the address
/// of its rows.
#[derive(Debug, Clone)]
pub struct OutcomeCount {
    pub outcome: RowOutcome,
    pub count: u64,
    /// The preview showing only these rows.
    pub href: String,
}

impl OutcomeCount {
    /// The contract's word: `create`, `update`, …
    pub fn word(&self) -> String {
        outcome_word(self.outcome)
    }

    pub fn label(&self) -> &'static str {
        outcome_label(self.outcome)
    }
}

/// What the preview calls rows of `outcome`.
pub fn outcome_label(outcome: RowOutcome) -> &'static str {
    match outcome {
        RowOutcome::Create => "New students to create",
        RowOutcome::Update => "Students to update",
        RowOutcome::Unchanged => "Unchanged",
        RowOutcome::Conflict => "Changed by someone else since the export",
        RowOutcome::Deleted => "Deleted since the export",
        RowOutcome::Unknown => "No such student",
        RowOutcome::Invalid => "Invalid rows",
    }
}

/// One row the preview (or the result) lists.
#[derive(Debug, Clone)]
pub struct ListedRow {
    pub row: StoredRow,
    pub problems: Vec<Problem>,
    /// For an update: each field it changes, the record's value now → the
    /// file's.
    pub changes: Vec<FieldChange>,
    /// For a conflict: the three-way comparison, as the conflict page shows it.
    pub comparison: Option<Comparison>,
    /// Why it is not (or will not be) imported.
    pub why: Option<NotImported>,
    /// Where the registrar can merge the file's values onto the record.
    pub merge_href: Option<String>,
    /// The record it is about is confidential (the row is marked).
    pub confidential: bool,
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

/// The rows that will not be imported, per class, as the preview says so
/// before the confirm.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub total: u64,
    /// Each class with rows: what it is, how many, the preview of them.
    pub classes: Vec<(&'static str, u64, String)>,
}

impl LeftOut {
    pub fn heading(&self) -> String {
        format!(
            "{} row{} will not be imported",
            self.total,
            if self.total == 1 { "" } else { "s" }
        )
    }
}

/// What an import would do, before the registrar confirms it: the counts,
/// the rows that will not be imported, then a page of rows.
#[derive(Template)]
#[template(path = "students/import_preview.html")]
pub struct ImportPreviewPage {
    pub layout: Layout,
    pub import: Import,
    pub checked_at: Instant,
    pub counts: Vec<OutcomeCount>,
    pub left_out: Option<LeftOut>,
    /// The class of rows listed, `None` for all.
    pub showing: Option<RowOutcome>,
    /// The preview of every row, from the start.
    pub all_href: String,
    /// This page's rows, in file order.
    pub listed: Vec<ListedRow>,
    /// The place of the page's first row among those of its class, from 1.
    pub first: u64,
    /// Rows of the class listed (or of the file).
    pub of: u64,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    /// Why the confirm just posted did not start.
    pub refused_confirm: Option<String>,
    pub all_or_nothing_rows: i64,
}

impl ImportPreviewPage {
    pub fn rows_heading(&self) -> String {
        match self.showing {
            Some(outcome) => format!("Rows: {}", outcome_label(outcome)),
            None => "Every row of the file".to_owned(),
        }
    }

    pub fn rows_caption(&self) -> String {
        let last = self.first + self.listed.len() as u64 - 1;
        format!(
            "Rows {}–{} of {}, in the file's order",
            self.first, last, self.of
        )
    }

    /// Rows no confirm can write (invalid, naming no student): all or
    /// nothing would write nothing.
    pub fn dirty(&self) -> u64 {
        self.counts
            .iter()
            .filter(|c| matches!(c.outcome, RowOutcome::Invalid | RowOutcome::Unknown))
            .map(|c| c.count)
            .sum()
    }

    pub fn all_or_nothing_allowed(&self) -> bool {
        self.import.rows <= self.all_or_nothing_rows
    }

    /// Whether the page lists only rows of `outcome`.
    pub fn is_showing(&self, outcome: &RowOutcome) -> bool {
        self.showing == Some(*outcome)
    }

    pub fn has_comparisons(&self) -> bool {
        self.listed.iter().any(|r| r.comparison.is_some())
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
