//! The one error type of the request path, and how each kind becomes a page.
//!
//! Expected outcomes (a stale form, invalid input) are not errors: handlers
//! render those pages themselves. What lands here is a request that cannot
//! be served; internal details are logged, never shown.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sea_orm::DbErr;

use crate::db;
use crate::views::ErrorPage;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed; the text is safe to show.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A form without the right CSRF token.
    #[error("forbidden")]
    Forbidden,
    /// The account's role does not allow this (SPEC §9).
    #[error("not allowed for the {0} role")]
    NotAllowed(crate::auth::roles::Role),
    /// The account was disabled (or removed) since the session began.
    #[error("the account is not enabled")]
    SignedOut,
    #[error("not found")]
    NotFound,
    /// The request took longer than the configured timeout.
    #[error("request timed out")]
    Timeout,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported content type")]
    UnsupportedMediaType,
    /// The database is unreachable or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    #[error("database error: {0}")]
    Database(DbErr),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if db::is_unavailable(&err) {
            AppError::Unavailable(err)
        } else {
            AppError::Database(err)
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden | AppError::NotAllowed(_) | AppError::SignedOut => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) | AppError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn page(&self) -> ErrorPage {
        let (title, message): (&str, &str) = match self {
            AppError::BadRequest(reason) => ("Bad request", reason),
            AppError::Forbidden => (
                "This form cannot be accepted",
                "The form was not sent from a current registrar page (it may have expired, or come from another site). Nothing was saved: go back, reload the page and try again.",
            ),
            AppError::NotAllowed(role) => {
                return ErrorPage::new(
                    self.status(),
                    "Not allowed",
                    &format!(
                        "Your account's role ({role}) does not allow this. Nothing was changed."
                    ),
                );
            }
            AppError::SignedOut => (
                "Account not enabled",
                "This account is no longer enabled. Nothing was changed.",
            ),
            AppError::NotFound => (
                "Page not found",
                "There is no page at this address. Check the link, or go back to the list of students.",
            ),
            AppError::PayloadTooLarge => (
                "Too much data",
                "The form sent more data than registrar accepts (64 KiB). Nothing was saved.",
            ),
            AppError::UnsupportedMediaType => (
                "Unsupported form",
                "registrar only accepts forms sent as application/x-www-form-urlencoded. Nothing was saved.",
            ),
            AppError::Timeout => (
                "Busy, try again",
                "registrar took too long to answer. If you were saving, check the record before you submit again.",
            ),
            AppError::Unavailable(_) => (
                "Busy, try again",
                "The database did not answer in time. Nothing was lost: go back and submit again in a moment.",
            ),
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => (
                "Something went wrong",
                "registrar could not complete this request. The problem has been logged.",
            ),
        };
        ErrorPage::new(self.status(), title, message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = error_page_response(&self.page());
        if matches!(self, AppError::Unavailable(_) | AppError::Timeout) {
            crate::http::retry::ask_to_retry(&mut response);
        }
        response
    }
}

/// Renders an error page; if even that fails, a fixed page says so.
pub fn error_page_response(page: &ErrorPage) -> Response {
    use askama::Template;
    match page.render() {
        Ok(html) => (page.status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "rendering the error page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(
                    "<!doctype html><html lang=\"en\"><title>Error</title>\
                     <h1>Something went wrong</h1></html>",
                ),
            )
                .into_response()
        }
    }
}
