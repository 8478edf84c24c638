//! What an import would do: the preview of a checked file, or the page
//! refusing a file that cannot be imported.

use std::collections::BTreeMap;

use axum::http::StatusCode;

use super::conflict::{changes, compared_fields};
use super::{
    Change, FieldComparison, all, field_of, first, not_the_page, numbers, parse, text, text_at,
};
use crate::testing::form::Form;
use crate::testing::page::Page;

/// What an import does with one row of the file (contract §6).
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
    /// The rows the page lists (a preview: one page of them, 50 in file
    /// order, of the class asked for).
    pub rows: Vec<ImportRow>,
    /// How many problems the file has in all; the page lists at most 100.
    pub problem_count: u64,
    /// The form that confirms the import; `None` when the file is refused
    /// or cannot be confirmed.
    pub confirm: Option<Form>,
    /// Each conflict row's three-way comparison (by line), as the conflict
    /// page shows it, with the changes made since the row's version.
    pub comparisons: Vec<RowComparison>,
    /// Why the confirm just posted did not start (a `422`), when the page
    /// says so.
    pub blocked: Option<String>,
    /// The notice that some rows will not be imported (contract §12), when
    /// the page gives it.
    pub not_imported: Option<NotImportedNotice>,
    /// The class of rows the page lists (`outcome=`), `None` for all.
    pub showing: Option<ImportOutcome>,
    /// The page of rows before this one and after it, when there are any.
    pub previous_page: Option<String>,
    pub next_page: Option<String>,
}

/// "3 rows will not be imported: …", before the confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotImportedNotice {
    /// How many rows it counts.
    pub rows: u64,
    /// What it says.
    pub text: String,
    /// The preview of each class it names.
    pub links: Vec<String>,
}

/// The comparison the preview shows for a conflict row.
#[derive(Debug, Clone)]
pub struct RowComparison {
    pub line: u64,
    pub id: i64,
    pub fields: Vec<FieldComparison>,
    pub changes: Vec<Change>,
}

impl RowComparison {
    pub fn field(&self, field: &str) -> &FieldComparison {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .unwrap_or_else(|| panic!("no {field} in the comparison of line {}", self.line))
    }
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
    /// For an update on the preview: each field it changes, old → new.
    pub changes: Vec<ImportChange>,
    /// Why the row is not (or will not be) imported, when the page says so.
    pub not_imported: Option<NotImportedBecause>,
    /// What the page says of that, beside the row's problems.
    pub why: Option<String>,
}

/// One field an update row changes: the record's value now, the file's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportChange {
    /// The form field: `name`, `student_number`, `address`, `gpa`.
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Why a row is not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotImportedBecause {
    /// Its values broke the rules when the file was read.
    Invalid,
    /// No student has its id.
    Unknown,
    /// Its student number was given to another student meanwhile.
    NumberTaken,
    /// The record changed since the row's version (it can be merged).
    Stale,
    /// The record was deleted.
    Deleted,
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

    /// The listed row of file line `line`, if the page lists it.
    pub fn row_at(&self, line: u64) -> Option<&ImportRow> {
        self.rows.iter().find(|r| r.line == Some(line))
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
            // A confirm that did not start answers with the preview again.
            StatusCode::UNPROCESSABLE_ENTITY
                if self
                    .text("h1")
                    .is_some_and(|h| h.starts_with("Check the import of")) =>
            {
                self.preview()
            }
            StatusCode::UNPROCESSABLE_ENTITY => self.refusal(),
            _ => not_the_page(self, "an import preview (200) or a refused file (422)"),
        }
    }

    fn preview(&self) -> ImportPreview {
        let heading = self.text("h1").unwrap_or_default();
        if !heading.starts_with("Check the import of") {
            not_the_page(self, "an import preview")
        }
        let document = parse(self);
        let root = document.root_element();
        let counts = all(root, "table.import-counts tr[data-outcome]")
            .into_iter()
            .map(|row| {
                let word = row.value().attr("data-outcome").unwrap_or_default();
                let count = text_at(row, "td")
                    .and_then(|t| numbers(&t).first().copied())
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0);
                (outcome_of(word), count)
            })
            .collect();
        let comparisons = all(root, "section.row-comparison")
            .into_iter()
            .map(|section| RowComparison {
                line: attr_number(section, "data-line").unwrap_or(0),
                id: attr_number(section, "data-id")
                    .and_then(|n| i64::try_from(n).ok())
                    .unwrap_or(0),
                fields: compared_fields(section),
                changes: changes(section),
            })
            .collect();
        let confirm = self
            .forms()
            .into_iter()
            .find(|f| f.method == "post" && f.action.starts_with("/students/import/"));
        let href_of =
            |css: &str| first(root, css).and_then(|a| a.value().attr("href").map(without_fragment));
        let not_imported = first(root, ".not-imported").map(|notice| NotImportedNotice {
            rows: attr_number(notice, "data-rows").unwrap_or(0),
            text: text(notice),
            links: all(notice, "a")
                .into_iter()
                .filter_map(|a| a.value().attr("href").map(without_fragment))
                .collect(),
        });
        ImportPreview {
            counts,
            rows: listed_rows(root),
            problem_count: 0,
            confirm,
            comparisons,
            blocked: first(root, ".error-summary").map(text),
            not_imported,
            showing: first(root, ".row-filter a[aria-current=page][data-outcome]")
                .and_then(|a| a.value().attr("data-outcome"))
                .map(outcome_of),
            previous_page: href_of(".pagination a[rel=prev]"),
            next_page: href_of(".pagination a[rel=next]"),
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
                    changes: Vec::new(),
                    not_imported: Some(NotImportedBecause::Invalid),
                    why: None,
                }),
            }
        }
        ImportPreview {
            counts: BTreeMap::from([(ImportOutcome::Invalid, rows.len() as u64)]),
            rows,
            problem_count,
            confirm: None,
            comparisons: Vec::new(),
            blocked: None,
            not_imported: None,
            showing: None,
            previous_page: None,
            next_page: None,
        }
    }
}

fn outcome_of(word: &str) -> ImportOutcome {
    match word {
        "create" => ImportOutcome::Create,
        "update" => ImportOutcome::Update,
        "unchanged" => ImportOutcome::Unchanged,
        "conflict" => ImportOutcome::Conflict,
        "deleted" => ImportOutcome::Deleted,
        "unknown" => ImportOutcome::Unknown,
        "invalid" => ImportOutcome::Invalid,
        other => panic!("unknown import outcome {other:?}"),
    }
}

fn because_of(word: &str) -> NotImportedBecause {
    match word {
        "invalid" => NotImportedBecause::Invalid,
        "unknown" => NotImportedBecause::Unknown,
        "number-taken" => NotImportedBecause::NumberTaken,
        "stale" => NotImportedBecause::Stale,
        "deleted" => NotImportedBecause::Deleted,
        other => panic!("unknown reason a row is not imported {other:?}"),
    }
}

fn attr_number(element: scraper::ElementRef<'_>, name: &str) -> Option<u64> {
    element.value().attr(name).and_then(|v| v.parse().ok())
}

/// An address without its `#fragment`.
fn without_fragment(href: &str) -> String {
    href.split('#').next().unwrap_or_default().to_owned()
}

/// The rows of every `table.import-rows` under `root`.
pub(super) fn listed_rows(root: scraper::ElementRef<'_>) -> Vec<ImportRow> {
    all(root, "table.import-rows tbody tr")
        .into_iter()
        .map(|row| {
            let line = attr_number(row, "data-line");
            let values = all(row, "td[data-label]")
                .into_iter()
                .filter(|cell| {
                    matches!(
                        cell.value().attr("data-label"),
                        Some("Name" | "Address" | "GPA")
                    )
                })
                .map(|cell| {
                    (
                        field_of(cell.value().attr("data-label").unwrap_or_default()),
                        text(cell),
                    )
                })
                .collect();
            let problems = all(row, "span.problem")
                .into_iter()
                .map(|p| {
                    let message = text(p);
                    ImportProblem {
                        line: line.unwrap_or(0),
                        field: p.value().attr("data-field").unwrap_or_default().to_owned(),
                        message: message
                            .split_once(": ")
                            .map_or(message.clone(), |(_, m)| m.to_owned()),
                    }
                })
                .collect();
            let attr = |element: scraper::ElementRef<'_>, name: &str| {
                element.value().attr(name).unwrap_or_default().to_owned()
            };
            ImportRow {
                outcome: outcome_of(row.value().attr("data-outcome").unwrap_or_default()),
                line,
                id: row.value().attr("data-id").and_then(|v| v.parse().ok()),
                values,
                problems,
                changes: all(row, "span.change")
                    .into_iter()
                    .map(|change| ImportChange {
                        field: attr(change, "data-field"),
                        old: attr(change, "data-old"),
                        new: attr(change, "data-new"),
                    })
                    .collect(),
                not_imported: row.value().attr("data-why").map(because_of),
                why: first(row, "span.why").map(text),
            }
        })
        .collect()
}
