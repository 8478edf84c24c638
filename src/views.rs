//! What every page shares: the layout's data, rendering with a status, and
//! instants as pages show them. (The error page is [`crate::error`]'s.)

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;
pub use crate::layout::Layout;

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

/// An instant as pages show it: readable text and a machine-readable
/// `datetime` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instant {
    pub text: String,
    pub iso: String,
}

impl From<chrono::DateTime<chrono::Utc>> for Instant {
    fn from(at: chrono::DateTime<chrono::Utc>) -> Self {
        Instant {
            text: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        }
    }
}
