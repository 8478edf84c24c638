//! What every page shares: the layout's data, rendering with a status, and
//! instants as pages show them. (The error page is [`crate::error`]'s.)

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;
pub use crate::layout::Layout;
use crate::zone::Zone;

/// User text set inside one of our sentences where markup cannot isolate
/// it (a `<title>`, a heading built as a string): between FIRST STRONG
/// ISOLATE and POP DIRECTIONAL ISOLATE, so a right-to-left name never
/// reorders the words around it (contract §4).
pub fn isolated(text: &str) -> String {
    format!("\u{2068}{text}\u{2069}")
}

/// Renders `page` with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Result<Response, AppError> {
    Ok((status, Html(page.render()?)).into_response())
}

/// An instant as pages show it: in the office's time zone (the page's
/// [`Layout::zone`], `--time-zone`), named, as text, and in UTC as the
/// machine-readable `datetime` attribute:
/// `<time datetime="{{ at.iso() }}">{{ at.text(layout.zone) }}</time>`.
/// It holds no text of its own, so no page can show a time but through
/// the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant(chrono::DateTime<chrono::Utc>);

impl Instant {
    /// `2026-12-07 10:14:03 CET` (see [`Zone::show`]).
    /// (Templates pass arguments by reference.)
    pub fn text(&self, zone: &Zone) -> String {
        zone.show(self.0)
    }

    /// RFC 3339 in UTC, for `datetime` attributes.
    pub fn iso(&self) -> String {
        crate::zone::iso(self.0)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Instant {
    fn from(at: chrono::DateTime<chrono::Utc>) -> Self {
        Instant(at)
    }
}
