//! A record's history page: its revisions and conflict entries, newest first.

use std::str::FromStr;

use scraper::ElementRef;

use super::{all, first, not_the_page, numbers, parse, text, text_at, time_at, versions};
use crate::testing::page::Page;

/// One page of `GET /students/{id}/history`.
#[derive(Debug, Clone)]
pub struct History {
    /// The student's name (its last name, when deleted).
    pub name: String,
    /// The page says the record has been deleted.
    pub deleted: bool,
    /// Newest first.
    pub entries: Vec<HistoryEntry>,
    /// The links to the newer and the older page, when there are more.
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// A revision, or a refused submission kept as a conflict entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub action: HistoryAction,
    /// The version the revision made; for a conflict entry, the version
    /// the refused form was at.
    pub version: i64,
    pub registrar: String,
    /// `<time datetime>` (RFC 3339).
    pub at: String,
    /// Why, when the registrar said (the app does not ask yet).
    pub reason: Option<String>,
    /// For a conflict entry: what was refused and why.
    pub note: Option<String>,
    /// What changed (for a conflict entry: the values submitted).
    pub changes: Vec<FieldChange>,
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HistoryAction {
    Created,
    Updated,
    Deleted,
    Imported,
    Restored,
    Undeleted,
    /// A stale submission that was refused and kept; no revision.
    Conflict,
}

/// One field of an entry: its old value (none for a creation or a
/// conflict entry) and its new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The label shown: `Name`, `Address`, `GPA`.
    pub label: String,
    pub old: Option<String>,
    pub new: String,
}

impl HistoryEntry {
    /// The change of the field labelled `label` (`Name`, `GPA`), if this
    /// entry lists one.
    pub fn change(&self, label: &str) -> Option<&FieldChange> {
        self.changes.iter().find(|c| c.label == label)
    }

    /// `(old, new)` of the field labelled `label`, for compact asserts.
    pub fn changed(&self, label: &str) -> Option<(Option<&str>, &str)> {
        self.change(label)
            .map(|c| (c.old.as_deref(), c.new.as_str()))
    }
}

impl History {
    /// The entries that record `action`.
    pub fn of(&self, action: HistoryAction) -> Vec<&HistoryEntry> {
        self.entries.iter().filter(|e| e.action == action).collect()
    }
}

impl FromStr for HistoryAction {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        Ok(match word {
            "created" => HistoryAction::Created,
            "updated" => HistoryAction::Updated,
            "deleted" => HistoryAction::Deleted,
            "imported" => HistoryAction::Imported,
            "restored" => HistoryAction::Restored,
            "undeleted" => HistoryAction::Undeleted,
            "conflict" => HistoryAction::Conflict,
            other => return Err(format!("unknown history action {other:?}")),
        })
    }
}

impl Page {
    /// Reads a history page; panics when this is not one.
    pub fn history(&self) -> History {
        let heading = self.text("h1").unwrap_or_default();
        let Some(name) = heading.strip_prefix("History of ") else {
            not_the_page(self, "a history page")
        };
        let document = parse(self);
        let root = document.root_element();
        let entries = all(root, ".timeline .entry")
            .into_iter()
            .map(|entry| {
                let kind = entry
                    .value()
                    .classes()
                    .find_map(|c| c.strip_prefix("entry-"))
                    .unwrap_or_default();
                let action = kind
                    .parse()
                    .unwrap_or_else(|e| panic!("a history entry: {e}"));
                let title = text_at(entry, "h2").unwrap_or_default();
                let note = entry
                    .children()
                    .filter_map(ElementRef::wrap)
                    .find(|p| {
                        p.value().name() == "p"
                            && !p.value().classes().any(|c| c == "meta" || c == "reason")
                    })
                    .map(text);
                let version = numbers(&title)
                    .first()
                    .copied()
                    .or_else(|| note.as_deref().and_then(|n| versions(n).first().copied()))
                    .unwrap_or_else(|| panic!("no version in the history entry {title:?}"));
                let changes = all(entry, ".diff li")
                    .into_iter()
                    .map(|item| FieldChange {
                        label: text_at(item, ".field-name").unwrap_or_default(),
                        old: text_at(item, "del"),
                        new: text_at(item, "ins").unwrap_or_default(),
                    })
                    .collect();
                let meta = first(entry, ".meta");
                HistoryEntry {
                    action,
                    version,
                    registrar: meta.and_then(|m| text_at(m, "strong")).unwrap_or_default(),
                    at: meta.and_then(time_at).unwrap_or_default(),
                    reason: text_at(entry, ".reason"),
                    note,
                    changes,
                }
            })
            .collect();
        History {
            name: name.to_owned(),
            deleted: text_at(root, ".lead").is_some_and(|lead| lead.contains("deleted")),
            entries,
            newer: self.href(".pagination a[rel=prev]"),
            older: self.href(".pagination a[rel=next]"),
        }
    }
}
