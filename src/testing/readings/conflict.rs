//! The pages a stale submission gets (`409`): the conflict page of an edit,
//! the edit of a record deleted meanwhile, and the stale delete.

use axum::http::StatusCode;
use scraper::ElementRef;

use super::history::HistoryAction;
use super::{
    all, field_of, first, not_the_page, own_text, parse, text, text_at, time_at, versions,
};
use crate::testing::form::Form;
use crate::testing::page::Page;

/// The conflict page of an edit submitted at a stale version (contract §2).
#[derive(Debug, Clone)]
pub struct ConflictPage {
    /// The student's name now.
    pub name: String,
    /// The version the registrar's form was opened at.
    pub seen_version: i64,
    /// The version stored now.
    pub current_version: i64,
    /// The changes made since `seen_version`, oldest first.
    pub changes: Vec<Change>,
    /// Per field, in page order: when opened / yours / now.
    pub fields: Vec<FieldComparison>,
    /// The merge form: at `current_version`, the registrar's changes on
    /// top of the current record, a radio group per conflicting field.
    pub merge: Form,
}

/// One field on the conflict page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldComparison {
    /// The form field: `name`, `address`, `gpa`.
    pub field: String,
    /// The value when the form was opened; `None` when the page could not
    /// tell (it says "(unknown)").
    pub when_opened: Option<String>,
    /// The value the registrar submitted, as typed.
    pub yours: String,
    /// The value stored now.
    pub now: String,
    pub status: FieldStatus,
}

/// Who changed a field since the form was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldStatus {
    Unchanged,
    ChangedByYou,
    ChangedByThem,
    /// Both changed it, to the same value: nothing to choose.
    ChangedAlikeByBoth,
    /// Both changed it, differently: a true conflict, the registrar picks.
    Conflict,
}

/// One committed change listed under "Who changed it".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub version: i64,
    pub action: HistoryAction,
    pub registrar: String,
    /// When, as the page's `<time datetime>` (RFC 3339).
    pub at: String,
    /// The labels of the fields it changed (`Name`, `GPA`).
    pub fields: Vec<String>,
    /// Why, when the registrar said (not shown by this version of the app).
    pub reason: Option<String>,
}

/// The answer to an edit of a record deleted meanwhile.
#[derive(Debug, Clone)]
pub struct DeletedMeanwhile {
    pub name: String,
    pub deleted_by: String,
    /// `<time datetime>` of the delete.
    pub deleted_at: String,
    /// The create form, filled with the registrar's values.
    pub recreate: Form,
}

/// The answer to a delete from a page at a stale version.
#[derive(Debug, Clone)]
pub struct StaleDelete {
    pub name: String,
    pub seen_version: i64,
    pub current_version: i64,
    pub changes: Vec<Change>,
    /// The delete form at the current version.
    pub confirm: Form,
}

impl ConflictPage {
    /// The comparison of `field` (`name`, `address`, `gpa`); panics
    /// naming the fields the page has when it has no such field.
    pub fn field(&self, field: &str) -> &FieldComparison {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .unwrap_or_else(|| {
                let fields: Vec<_> = self.fields.iter().map(|f| &f.field).collect();
                panic!("the conflict page compares {fields:?}, not {field:?}")
            })
    }

    /// The fields both sides changed differently, which the registrar
    /// must choose for.
    pub fn conflicting(&self) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|f| f.status == FieldStatus::Conflict)
            .map(|f| f.field.as_str())
            .collect()
    }
}

impl FieldStatus {
    fn from_text(text: &str) -> Option<FieldStatus> {
        Some(match text {
            "Unchanged" => FieldStatus::Unchanged,
            "Changed by you" => FieldStatus::ChangedByYou,
            "Changed by someone else" => FieldStatus::ChangedByThem,
            "Changed to the same value on both sides" => FieldStatus::ChangedAlikeByBoth,
            "Changed by you and by someone else" => FieldStatus::Conflict,
            _ => return None,
        })
    }
}

impl Page {
    /// Reads the conflict page of a stale edit; panics when this is not
    /// one (say, the save went through).
    pub fn conflict(&self) -> ConflictPage {
        if self.status != StatusCode::CONFLICT {
            not_the_page(self, "a 409 conflict page");
        }
        self.conflict_comparison()
    }

    /// Reads the merge page of a row an import refused: the conflict
    /// page's comparison and merge form, answered `200`.
    pub fn import_merge(&self) -> ConflictPage {
        if self.status != StatusCode::OK {
            not_the_page(self, "the merge page of a refused import row");
        }
        self.conflict_comparison()
    }

    fn conflict_comparison(&self) -> ConflictPage {
        let heading = self.text("h1").unwrap_or_default();
        let Some(name) = heading.strip_suffix(" changed while you were editing") else {
            not_the_page(self, "the conflict page of an edit")
        };
        let document = parse(self);
        let root = document.root_element();
        let (seen_version, current_version) = banner_versions(self, root);
        let fields = compared_fields(root);
        let merge = first(root, "form.merge")
            .map(Form::from_element)
            .unwrap_or_else(|| not_the_page(self, "a conflict page with a merge form"));
        ConflictPage {
            name: name.to_owned(),
            seen_version,
            current_version,
            changes: changes(root),
            fields,
            merge,
        }
    }

    /// Reads the answer to an edit of a record deleted meanwhile.
    pub fn deleted_meanwhile(&self) -> DeletedMeanwhile {
        let heading = self.text("h1").unwrap_or_default();
        let Some(name) = heading.strip_suffix(" was deleted while you were editing") else {
            not_the_page(self, "the page of an edit of a deleted record")
        };
        let document = parse(self);
        let root = document.root_element();
        let banner = first(root, ".conflict-banner")
            .unwrap_or_else(|| not_the_page(self, "a conflict page"));
        DeletedMeanwhile {
            name: name.to_owned(),
            deleted_by: text_at(banner, "strong").unwrap_or_default(),
            deleted_at: time_at(banner).unwrap_or_default(),
            recreate: self.form("/students"),
        }
    }

    /// Reads the answer to a stale delete.
    pub fn stale_delete(&self) -> StaleDelete {
        let heading = self.text("h1").unwrap_or_default();
        let Some(name) = heading.strip_suffix(" changed before your delete") else {
            not_the_page(self, "the page of a stale delete")
        };
        let document = parse(self);
        let root = document.root_element();
        let (seen_version, current_version) = banner_versions(self, root);
        let confirm = self
            .forms()
            .into_iter()
            .find(|f| f.action.ends_with("/delete"))
            .unwrap_or_else(|| not_the_page(self, "a stale delete page with a delete form"));
        StaleDelete {
            name: name.to_owned(),
            seen_version,
            current_version,
            changes: changes(root),
            confirm,
        }
    }
}

/// "You opened version 1; it is now at version 2."
/// The rows of a three-way comparison table (`table.compare`) under `root`.
pub(super) fn compared_fields(root: ElementRef<'_>) -> Vec<FieldComparison> {
    all(root, "table.compare tbody tr")
        .into_iter()
        .map(|row| {
            let header = first(row, "th").map(own_text).unwrap_or_default();
            let status_text = text_at(row, ".status").unwrap_or_default();
            let status = FieldStatus::from_text(&status_text)
                .unwrap_or_else(|| panic!("unknown field status {status_text:?}"));
            let cells: Vec<String> = all(row, "td").into_iter().map(text).collect();
            let [opened, yours, now] = <[String; 3]>::try_from(cells)
                .unwrap_or_else(|cells| panic!("a compare row of {cells:?}"));
            FieldComparison {
                field: field_of(&header),
                when_opened: (opened != "(unknown)").then_some(opened),
                yours,
                now,
                status,
            }
        })
        .collect()
}

fn banner_versions(page: &Page, root: ElementRef<'_>) -> (i64, i64) {
    let banner = text_at(root, ".conflict-banner p").unwrap_or_default();
    match versions(&banner)[..] {
        [seen, current, ..] => (seen, current),
        _ => not_the_page(page, "a conflict page naming both versions"),
    }
}

/// "Version 2: updated by registrar at … (changed Address, GPA)".
pub(super) fn changes(root: ElementRef<'_>) -> Vec<Change> {
    all(root, ".changes li")
        .into_iter()
        .map(|item| {
            let line = text(item);
            let version = versions(&line).first().copied().unwrap_or_default();
            let action = line
                .split_once(": ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .and_then(|word| word.parse().ok())
                .unwrap_or_else(|| panic!("no action in the change {line:?}"));
            let fields = line
                .rsplit_once("(changed ")
                .map(|(_, rest)| {
                    rest.trim_end_matches(')')
                        .split(", ")
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Change {
                version,
                action,
                registrar: text_at(item, "strong").unwrap_or_default(),
                at: time_at(item).unwrap_or_default(),
                fields,
                reason: text_at(item, ".reason"),
            }
        })
        .collect()
}
