//! The office's change log (`GET /changes`, "My changes" among its
//! filters): its entries, newest first, and its links.

use super::history::{FieldChange, HistoryAction};
use super::{all, first, not_the_page, numbers, parse, text, text_at, time_at, versions};
use crate::testing::page::Page;

/// One page of `GET /changes`.
#[derive(Debug, Clone)]
pub struct ChangeLog {
    pub heading: String,
    /// Newest first.
    pub entries: Vec<LogEntry>,
    /// The link to the next (older) page, and back to the newest.
    pub older: Option<String>,
    pub newest: Option<String>,
    /// The same entries as CSV.
    pub csv: Option<String>,
    /// What the filters named that does not exist.
    pub notes: Vec<String>,
    /// The error summary's messages (a filter that could not be read).
    pub problems: Vec<String>,
    /// What the page says instead of entries, when it has none.
    pub empty: Option<String>,
}

/// An entry of the log: one change of one student, or an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The revision it stands at (an import's first).
    pub revision: i64,
    pub action: HistoryAction,
    /// An import's one entry (its rows are behind `rows_href`).
    pub is_import: bool,
    pub registrar: String,
    /// `<time datetime>` (RFC 3339).
    pub at: String,
    /// The record's id and name (a change's).
    pub student_id: Option<i64>,
    pub student_name: Option<String>,
    pub version: Option<i64>,
    pub reason: Option<String>,
    pub changes: Vec<FieldChange>,
    /// An import's entry: the rows it wrote, and the page of them.
    pub rows: Option<u64>,
    pub rows_href: Option<String>,
    /// A change an import wrote: the page of that import's rows.
    pub import_href: Option<String>,
}

impl LogEntry {
    /// `(old, new)` of the field labelled `label`, if this entry lists it.
    pub fn changed(&self, label: &str) -> Option<(Option<&str>, &str)> {
        self.changes
            .iter()
            .find(|c| c.label == label)
            .map(|c| (c.old.as_deref(), c.new.as_str()))
    }
}

impl Page {
    /// Reads a page of the change log; panics when this is not one.
    pub fn change_log(&self) -> ChangeLog {
        let document = parse(self);
        let root = document.root_element();
        if first(root, "form.filters").is_none() {
            not_the_page(self, "the change log");
        }
        let entries = all(root, "ol.log > li.entry")
            .into_iter()
            .map(|entry| {
                let kind = entry
                    .value()
                    .classes()
                    .find_map(|c| c.strip_prefix("entry-"))
                    .unwrap_or_default()
                    .to_owned();
                let is_import = kind == "import";
                let action = if is_import {
                    HistoryAction::Imported
                } else {
                    kind.parse()
                        .unwrap_or_else(|e| panic!("a change log entry: {e}"))
                };
                let heading = first(entry, "h2").unwrap_or_else(|| panic!("an entry's heading"));
                let link = first(heading, "a");
                let meta = first(entry, ".meta");
                let href_of = |css: &str| {
                    first(entry, css)
                        .and_then(|a| a.value().attr("href"))
                        .map(str::to_owned)
                };
                LogEntry {
                    revision: entry
                        .value()
                        .attr("data-revision")
                        .and_then(|r| r.parse().ok())
                        .unwrap_or_else(|| panic!("an entry without its revision")),
                    action,
                    is_import,
                    registrar: meta.and_then(|m| text_at(m, "strong")).unwrap_or_default(),
                    at: meta.and_then(time_at).unwrap_or_default(),
                    student_id: link
                        .and_then(|a| a.value().attr("href"))
                        .and_then(|href| href.strip_prefix("/students/"))
                        .and_then(|id| id.parse().ok()),
                    student_name: link.map(text),
                    version: (!is_import)
                        .then(|| versions(&text(heading)).first().copied())
                        .flatten(),
                    reason: text_at(entry, ".reason"),
                    changes: all(entry, ".diff li")
                        .into_iter()
                        .map(|item| FieldChange {
                            label: text_at(item, ".field-name").unwrap_or_default(),
                            old: text_at(item, "del"),
                            new: text_at(item, "ins").unwrap_or_default(),
                        })
                        .collect(),
                    rows: is_import
                        .then(|| {
                            numbers(&text(heading).replace(',', ""))
                                .first()
                                .and_then(|n| u64::try_from(*n).ok())
                        })
                        .flatten(),
                    rows_href: href_of("a.rows-link"),
                    import_href: href_of("a.import-link"),
                }
            })
            .collect();
        ChangeLog {
            heading: self.text("h1").unwrap_or_default(),
            entries,
            older: self.href(".pagination a[rel=next]"),
            newest: self
                .href(".pagination a:not([rel])")
                .filter(|_| self.text(".pagination a:not([rel])").as_deref() == Some("Newest")),
            csv: self.href("p.csv a"),
            notes: self.texts("p.note"),
            problems: self.error_summary(),
            empty: self.text("p.empty"),
        }
    }
}
