//! Pages shared by every resource: the layout's data and the error page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::Registrar;
use crate::error::AppError;
use crate::http::flash::Flash;

/// What the shared layout (`templates/base.html`) shows on every page.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    /// The signed-in registrar, shown in the header.
    pub registrar: Option<String>,
    /// Their role: the header offers only what it may do.
    pub role: Option<crate::auth::roles::Role>,
    /// The token every form on the page sends back.
    pub csrf_token: String,
    /// A one-time message after a redirect ("Saved").
    pub flash: Option<Flash>,
    /// `Error: ` goes before the title when the page shows form errors.
    pub has_errors: bool,
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            ..Layout::default()
        }
    }

    pub fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash;
        self
    }

    pub fn with_registrar(mut self, registrar: &Registrar) -> Self {
        self.registrar = Some(registrar.username().to_owned());
        self.role = Some(registrar.role());
        self.csrf_token = registrar.csrf_token().to_owned();
        self
    }

    /// For the pages before signing in: the pre-session CSRF token.
    pub fn with_csrf_token(mut self, token: String) -> Self {
        self.csrf_token = token;
        self
    }

    pub fn with_errors(mut self, has_errors: bool) -> Self {
        self.has_errors = has_errors;
        self
    }

    /// Whether the page may offer changes to records.
    pub fn may_change_records(&self) -> bool {
        self.role.is_some_and(crate::auth::roles::Role::may_change_records)
    }

    /// Whether the page may offer the account pages of admins.
    pub fn may_manage_accounts(&self) -> bool {
        self.role.is_some_and(crate::auth::roles::Role::may_manage_accounts)
    }

    pub fn flash_message(&self) -> Option<&'static str> {
        self.flash.map(Flash::message)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: StatusCode,
    pub heading: String,
    pub message: String,
}

impl ErrorPage {
    pub fn new(status: StatusCode, heading: &str, message: &str) -> Self {
        ErrorPage {
            layout: Layout::new(heading),
            status,
            heading: heading.to_owned(),
            message: message.to_owned(),
        }
    }

    pub fn code(&self) -> u16 {
        self.status.as_u16()
    }
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
