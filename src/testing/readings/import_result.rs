//! The result of a confirmed import: what was written and refused, each
//! refused row with why, and where its merge page and the refused rows'
//! CSV are.

use super::ImportRow;
use super::import::listed_rows;
use super::{all, first, not_the_page, numbers, parse, text_at};
use crate::testing::page::Page;

/// The result page of a confirmed import.
#[derive(Debug, Clone)]
pub struct ImportResult {
    pub written: u64,
    pub refused: u64,
    pub unchanged: u64,
    /// Why the import failed, if it did.
    pub failure: Option<String>,
    /// The refused and written rows it lists (each refused row with why:
    /// [`ImportRow::not_imported`], [`ImportRow::why`], its problems).
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
