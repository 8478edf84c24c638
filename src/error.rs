//! The one error type of the request path, and the one way an error
//! becomes a page: `AppError` → [`ErrorPage`] → response. Handlers return
//! it; the layers outside them (a panic, a `405`, a bare status from
//! tower-http or an extractor) are turned into it too (see
//! [`AppError::from_status`]), so every error page is written here.
//!
//! Expected outcomes (a stale form, invalid input) are not errors: handlers
//! render those pages themselves. What lands here is a request that cannot
//! be served; internal details are logged, never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sea_orm::DbErr;

use crate::accounts::store::StoreError;
use crate::auth::writer::WriteRefused;
use crate::cluster::{Failure, HasFailure};
use crate::db;
use crate::http::cookie::CookieError;
use crate::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed; the text is safe to show.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A form without the right CSRF token.
    #[error("forbidden")]
    Forbidden,
    /// The account's role does not allow this (contract §9).
    #[error("not allowed for the {0} role")]
    NotAllowed(crate::domain::Role),
    /// The account was disabled (or removed) since the session began.
    #[error("the account is not enabled")]
    SignedOut,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
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
    /// Any other error status a layer answered with, without a page.
    #[error("refused with {0}")]
    Refused(StatusCode),
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

impl HasFailure for AppError {
    fn failure(&self) -> Failure {
        match self {
            AppError::Unavailable(err) | AppError::Database(err) => err.failure(),
            _ => Failure::Other,
        }
    }
}

impl From<CookieError> for AppError {
    fn from(err: CookieError) -> Self {
        AppError::Internal(err.to_string())
    }
}

impl AppError {
    /// The error a bare status stands for, when a layer or an extractor
    /// outside the handlers answered with nothing but a status.
    pub fn from_status(status: StatusCode) -> AppError {
        match status {
            StatusCode::BAD_REQUEST => AppError::BadRequest("The request could not be read."),
            StatusCode::FORBIDDEN => AppError::Forbidden,
            StatusCode::NOT_FOUND => AppError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
            StatusCode::SERVICE_UNAVAILABLE => AppError::Timeout,
            status => AppError::Refused(status),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden | AppError::NotAllowed(_) | AppError::SignedOut => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) | AppError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            AppError::Refused(status) => *status,
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
                let message = format!(
                    "Your account's role ({role}) does not allow this. Nothing was changed."
                );
                return ErrorPage {
                    layout: Layout::new("Not allowed"),
                    status: self.status(),
                    heading: "Not allowed".to_owned(),
                    message,
                    navigable: true,
                    writer_refused: true,
                    typed: Vec::new(),
                };
            }
            AppError::SignedOut => (
                "Account not enabled",
                "This account is no longer enabled. Nothing was changed.",
            ),
            AppError::NotFound => (
                "Page not found",
                "There is no page at this address. Check the link, or go back to the list of students.",
            ),
            AppError::MethodNotAllowed => (
                "Method not allowed",
                "This address does not accept that kind of request.",
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
            AppError::Refused(status) => (
                status.canonical_reason().unwrap_or("Error"),
                "registrar could not answer this request.",
            ),
        };
        ErrorPage {
            layout: Layout::new(title),
            status: self.status(),
            heading: title.to_owned(),
            message: message.to_owned(),
            // A disabled account is not offered the pages it may not use.
            navigable: !matches!(self, AppError::SignedOut),
            writer_refused: matches!(self, AppError::SignedOut),
            typed: Vec::new(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let page = self.page();
        let mut response = page.clone().into_response();
        // Kept, so that a layer that knows who is signed in can show the
        // page with its header (see `auth::sessions::navigable_errors`).
        response.extensions_mut().insert(page);
        if matches!(self, AppError::Unavailable(_) | AppError::Timeout) {
            crate::http::retry::ask_to_retry(&mut response);
        }
        response
    }
}

/// The page every error is shown as (`templates/error.html`).
#[derive(Template, Clone)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: StatusCode,
    pub heading: String,
    pub message: String,
    /// Whether it may show the signed-in header (navigation, who).
    pub navigable: bool,
    /// A write refused because its account may no longer write (a role
    /// too low, an account no longer enabled): the page may show what the
    /// form carried (contract §12), never a form token's refusal.
    pub writer_refused: bool,
    /// What the refused form carried, shown to copy: nothing has to be
    /// typed twice.
    pub typed: Vec<TypedValue>,
}

/// One value a refused form carried, with the label its form gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedValue {
    pub label: &'static str,
    pub value: String,
}

impl ErrorPage {
    pub fn code(&self) -> u16 {
        self.status.as_u16()
    }

    /// The page showing `typed`, when it is a refused writer's (any
    /// other page is returned as it was).
    pub fn with_typed(mut self, typed: Vec<TypedValue>) -> Self {
        if self.writer_refused {
            self.typed = typed;
        }
        self
    }
}

/// Renders the page; if even that fails, a fixed page says so.
impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        match self.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
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
}

/// An account change that could not be made, as the account pages show it.
impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Refused(refused) => refused.into(),
            StoreError::HolderGone => AppError::SignedOut,
            StoreError::NotHolder => AppError::Internal("not the account's holder".into()),
            StoreError::Vanished => {
                AppError::Internal("the account vanished in its transaction".into())
            }
            StoreError::Database(err) => err.into(),
        }
    }
}

impl From<WriteRefused> for AppError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Role(role) => AppError::NotAllowed(role),
            WriteRefused::NotEnabled => AppError::SignedOut,
            WriteRefused::Database(err) => err.into(),
        }
    }
}
