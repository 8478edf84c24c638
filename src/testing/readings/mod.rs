//! Typed readings of registrar's pages: what a page means (the versions, who
//! changed what, which fields conflict, what an import would do), read from
//! its markup in one place so tests assert meaning rather than markup.
//!
//! Every reading first checks that the page is the one asked for and panics,
//! saying what it got, when it is not.

mod changes;
mod conflict;
mod history;
mod import;
mod import_result;

pub use changes::{ChangeLog, LogEntry};
pub use conflict::{
    Change, ConflictPage, DeletedMeanwhile, FieldComparison, FieldStatus, StaleDelete,
};
pub use history::{FieldChange, History, HistoryAction, HistoryEntry};
pub use import::{
    ImportChange, ImportOutcome, ImportPreview, ImportProblem, ImportRow, NotImportedBecause,
    NotImportedNotice, RowComparison,
};
pub use import_result::ImportResult;

use scraper::{ElementRef, Html, Selector};

use super::page::{Page, squash};

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e}"))
}

/// Every element under `scope` that `css` matches.
fn all<'a>(scope: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    scope.select(&selector(css)).collect()
}

fn first<'a>(scope: ElementRef<'a>, css: &str) -> Option<ElementRef<'a>> {
    scope.select(&selector(css)).next()
}

/// The element's text, whitespace squashed.
fn text(element: ElementRef<'_>) -> String {
    squash(&element.text().collect::<String>())
}

/// The text of the first match of `css`, if any.
fn text_at(scope: ElementRef<'_>, css: &str) -> Option<String> {
    first(scope, css).map(text)
}

/// The text directly inside the element, without that of its child
/// elements (a table header's label without its status note).
fn own_text(element: ElementRef<'_>) -> String {
    squash(
        &element
            .children()
            .filter_map(|node| node.value().as_text().map(|t| t.to_string()))
            .collect::<String>(),
    )
}

/// The `datetime` of the first `<time>` inside `scope`.
fn time_at(scope: ElementRef<'_>) -> Option<String> {
    first(scope, "time")
        .and_then(|t| t.value().attr("datetime"))
        .map(str::to_owned)
}

/// Every whole number in `text`, in order.
fn numbers(text: &str) -> Vec<i64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The number that follows the word "version" in `text` (the first, the
/// second...).
fn versions(text: &str) -> Vec<i64> {
    text.to_lowercase()
        .split("version")
        .skip(1)
        .filter_map(|rest| {
            numbers(rest.split(['.', ';', ',', ')']).next().unwrap_or(""))
                .first()
                .copied()
        })
        .collect()
}

/// The form field a label stands for: `Name` is `name`, `GPA` is `gpa`.
fn field_of(label: &str) -> String {
    label.trim().to_lowercase()
}

/// The parsed page and its `<html>` element, for a reading named `what`.
fn parse(page: &Page) -> Html {
    page.document()
}

/// Panics saying which page `page` is when it is not `what`.
fn not_the_page(page: &Page, what: &str) -> ! {
    panic!(
        "{} answered {} with a page that is not {what}: its heading is {:?}; body:\n{}",
        page.path,
        page.status,
        page.text("h1").unwrap_or_default(),
        page.body
    )
}
