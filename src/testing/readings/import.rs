//! What an import would do: the preview of a checked file, or the page
//! refusing a file that cannot be imported.

use std::collections::BTreeMap;

use axum::http::StatusCode;

use super::{all, field_of, first, not_the_page, numbers, parse, text, text_at};
use crate::testing::form::Form;
use crate::testing::page::Page;

/// What an import does with one row of the file (contract §6). This version
/// of the app imports new students only, so its pages show `Create` and
/// `Invalid` rows; the others are those of imports that update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImportOutcome {
    Create,
    Update,
    Unchanged,
    Conflict,
    Deleted,
    Unknown,
    Invalid,
}

/// The answer to an upload, read as "what would happen": the preview
/// (`200`, with a confirm form) or the refusal of the file (`422`, with
/// its problems and no confirm form).
#[derive(Debug, Clone)]
pub struct ImportPreview {
    /// Rows per outcome, as the page counts them. A refused file's page
    /// counts problems, not rows: there `Invalid` is the number of lines
    /// it lists, and `problem_count` the problems in all.
    pub counts: BTreeMap<ImportOutcome, u64>,
    /// The rows the page lists (a preview shows a sample of them).
    pub rows: Vec<ImportRow>,
    /// How many problems the file has in all; the page lists at most 100.
    pub problem_count: u64,
    /// The form that confirms the import; `None` when the file is refused.
    pub confirm: Option<Form>,
}

/// One row of the file, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub outcome: ImportOutcome,
    /// The file's line, when the page gives it.
    pub line: Option<u64>,
    /// The student it is about, when it has one.
    pub id: Option<i64>,
    /// The row's values by form field (`name`, `address`, `gpa`).
    pub values: BTreeMap<String, String>,
    pub problems: Vec<ImportProblem>,
}

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// The file's line, from 1 (the header).
    pub line: u64,
    /// `name`, `address`, `gpa`, or `file` for the file as a whole.
    pub field: String,
    pub message: String,
}

impl ImportPreview {
    /// How many rows have `outcome`.
    pub fn count(&self, outcome: ImportOutcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// The listed rows with `outcome`.
    pub fn rows_of(&self, outcome: ImportOutcome) -> Vec<&ImportRow> {
        self.rows.iter().filter(|r| r.outcome == outcome).collect()
    }

    /// Every listed problem, in file order.
    pub fn problems(&self) -> Vec<&ImportProblem> {
        self.rows.iter().flat_map(|r| &r.problems).collect()
    }

    /// The confirm form; panics when the file was refused.
    pub fn confirm(&self) -> &Form {
        self.confirm.as_ref().unwrap_or_else(|| {
            panic!(
                "the file was refused ({} problems), there is nothing to confirm",
                self.problem_count
            )
        })
    }
}

impl Page {
    /// Reads the preview of an upload, or the page refusing the file.
    pub fn import_preview(&self) -> ImportPreview {
        match self.status {
            StatusCode::OK => self.preview(),
            StatusCode::UNPROCESSABLE_ENTITY => self.refusal(),
            _ => not_the_page(self, "an import preview (200) or a refused file (422)"),
        }
    }

    fn preview(&self) -> ImportPreview {
        let heading = self.text("h1").unwrap_or_default();
        let Some(count) = heading
            .strip_prefix("Import ")
            .and_then(|rest| numbers(rest).first().copied())
        else {
            not_the_page(self, "an import preview")
        };
        let document = parse(self);
        let root = document.root_element();
        let rows = all(root, "table.students tbody tr")
            .into_iter()
            .map(|row| ImportRow {
                outcome: ImportOutcome::Create,
                line: None,
                id: None,
                values: all(row, "td[data-label]")
                    .into_iter()
                    .map(|cell| {
                        (
                            field_of(cell.value().attr("data-label").unwrap_or_default()),
                            text(cell),
                        )
                    })
                    .collect(),
                problems: Vec::new(),
            })
            .collect();
        let confirm = self
            .forms()
            .into_iter()
            .find(|f| f.method == "post" && f.action.starts_with("/students/import/"));
        ImportPreview {
            counts: BTreeMap::from([(ImportOutcome::Create, u64::try_from(count).unwrap_or(0))]),
            rows,
            problem_count: 0,
            confirm,
        }
    }

    fn refusal(&self) -> ImportPreview {
        let document = parse(self);
        let root = document.root_element();
        let Some(summary) = first(root, ".error-summary") else {
            not_the_page(self, "a refused import")
        };
        let problem_count = text_at(summary, "h2")
            .and_then(|h| numbers(&h).first().copied())
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let mut rows: Vec<ImportRow> = Vec::new();
        for row in all(summary, "table.problems tbody tr") {
            let cells: Vec<String> = all(row, "td").into_iter().map(text).collect();
            let [line, field, message] = <[String; 3]>::try_from(cells)
                .unwrap_or_else(|cells| panic!("a problem row of {cells:?}"));
            let problem = ImportProblem {
                line: line.parse().unwrap_or(0),
                field: field_of(&field),
                message,
            };
            match rows.last_mut() {
                Some(last) if last.line == Some(problem.line) => last.problems.push(problem),
                _ => rows.push(ImportRow {
                    outcome: ImportOutcome::Invalid,
                    line: Some(problem.line),
                    id: None,
                    values: BTreeMap::new(),
                    problems: vec![problem],
                }),
            }
        }
        ImportPreview {
            counts: BTreeMap::from([(ImportOutcome::Invalid, rows.len() as u64)]),
            rows,
            problem_count,
            confirm: None,
        }
    }
}
