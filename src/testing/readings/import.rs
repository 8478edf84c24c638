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
    /// The rows the page lists (a preview shows a sample of them).
    pub rows: Vec<ImportRow>,
    /// How many problems the file has in all; the page lists at most 100.
    pub problem_count: u64,
    /// The form that confirms the import; `None` when the file is refused
    /// or cannot be confirmed.
    pub confirm: Option<Form>,
    /// Each conflict row's three-way comparison (by line), as the conflict
    /// page shows it, with the changes made since the row's version.
    pub comparisons: Vec<RowComparison>,
    /// Why the import cannot be confirmed, when the page says so.
    pub blocked: Option<String>,
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
            StatusCode::UNPROCESSABLE_ENTITY if self.text(".error-summary h2").is_none() => {
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
        ImportPreview {
            counts,
            rows: listed_rows(root),
            problem_count: 0,
            confirm,
            comparisons,
            blocked: first(root, ".error-summary").map(text),
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
            comparisons: Vec::new(),
            blocked: None,
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

fn attr_number(element: scraper::ElementRef<'_>, name: &str) -> Option<u64> {
    element.value().attr(name).and_then(|v| v.parse().ok())
}

/// The rows of every `table.import-rows` under `root`.
fn listed_rows(root: scraper::ElementRef<'_>) -> Vec<ImportRow> {
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
            ImportRow {
                outcome: outcome_of(row.value().attr("data-outcome").unwrap_or_default()),
                line,
                id: row.value().attr("data-id").and_then(|v| v.parse().ok()),
                values,
                problems,
            }
        })
        .collect()
}

/// The result page of a confirmed import.
#[derive(Debug, Clone)]
pub struct ImportResult {
    pub written: u64,
    pub refused: u64,
    pub unchanged: u64,
    /// Why the import failed, if it did.
    pub failure: Option<String>,
    /// The refused and written rows it lists.
    pub rows: Vec<ImportRow>,
    /// Each refused row's merge page, in the order listed.
    pub merge_links: Vec<String>,
    /// Where the refused rows' CSV is, when there are any.
    pub refused_csv: Option<String>,
}

impl Page {
    /// Whether this is the self-reloading progress page of a running import.
    pub fn is_import_progress(&self) -> bool {
        self.body.contains("http-equiv=\"refresh\"")
            && self
                .text("h1")
                .is_some_and(|h| h.starts_with("Importing") || h.starts_with("Checking"))
    }

    /// Reads the result page of a confirmed import.
    pub fn import_result(&self) -> ImportResult {
        let document = parse(self);
        let root = document.root_element();
        let Some(table) = first(root, "table.import-result") else {
            not_the_page(self, "the result of an import")
        };
        let count = |result: &str| {
            all(table, "tr[data-result]")
                .into_iter()
                .find(|r| r.value().attr("data-result") == Some(result))
                .and_then(|r| text_at(r, "td"))
                .and_then(|t| numbers(&t).first().copied())
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        ImportResult {
            written: count("written"),
            refused: count("refused"),
            unchanged: count("unchanged"),
            failure: text_at(root, "[data-failure]"),
            rows: listed_rows(root),
            merge_links: all(root, "table.import-rows a")
                .into_iter()
                .filter_map(|a| a.value().attr("href").map(str::to_owned))
                .filter(|href| href.ends_with("/merge"))
                .collect(),
            refused_csv: all(root, "a[download]")
                .into_iter()
                .find_map(|a| a.value().attr("href").map(str::to_owned)),
        }
    }
}
