//! One-time messages shown on the page a redirect leads to.
//!
//! The message travels in a short-lived cookie holding one of a fixed set
//! of words (never user text), so any app instance can show it. A handler
//! attaches a [`Flash`] to its redirect ([`super::redirect::see_other_with`]);
//! the [`carry`] middleware turns it into the cookie, with the server's
//! `Secure` setting, and clears the cookie once an HTML page has shown it.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::cookie::{self, SecureCookies, SetCookie};

const COOKIE: &str = "registrar_flash";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    Created,
    Saved,
    NoChanges,
    Deleted,
    Imported,
    AccountCreated,
    PasswordChanged,
    SessionEnded,
}

impl Flash {
    const ALL: [Flash; 8] = [
        Flash::Created,
        Flash::Saved,
        Flash::NoChanges,
        Flash::Deleted,
        Flash::Imported,
        Flash::AccountCreated,
        Flash::PasswordChanged,
        Flash::SessionEnded,
    ];

    fn word(self) -> &'static str {
        match self {
            Flash::Created => "created",
            Flash::Saved => "saved",
            Flash::NoChanges => "no-changes",
            Flash::Deleted => "deleted",
            Flash::Imported => "imported",
            Flash::AccountCreated => "account-created",
            Flash::PasswordChanged => "password-changed",
            Flash::SessionEnded => "session-ended",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Flash::Created => "Student created",
            Flash::Saved => "Saved",
            Flash::NoChanges => "No changes",
            Flash::Deleted => "Deleted",
            Flash::Imported => "Students imported",
            Flash::AccountCreated => "Account created",
            Flash::PasswordChanged => "Password changed; your other sessions have ended",
            Flash::SessionEnded => "Signed out",
        }
    }

    fn cookie(self) -> SetCookie {
        SetCookie::new(COOKIE, self.word()).max_age(60)
    }

    /// The message waiting in the request's cookies, if any.
    pub fn from_headers(headers: &HeaderMap) -> Option<Flash> {
        let value = cookie::read(headers, COOKIE)?;
        Flash::ALL.into_iter().find(|f| f.word() == value)
    }
}

/// Sets the cookie of the [`Flash`] a handler attached to its response;
/// clears the cookie once a page (a `GET` answered with HTML) has been
/// served with it.
pub async fn carry(
    State(SecureCookies(secure)): State<SecureCookies>,
    request: Request,
    next: Next,
) -> Response {
    let had_flash =
        request.method() == Method::GET && Flash::from_headers(request.headers()).is_some();
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let cookie = match response.extensions_mut().remove::<Flash>() {
        Some(flash) => Some(flash.cookie()),
        None if had_flash && is_html && !response.headers().contains_key(header::SET_COOKIE) => {
            Some(SetCookie::removal(COOKIE))
        }
        None => None,
    };
    if let Some(cookie) = cookie
        && let Err(err) = cookie.append_to(response.headers_mut(), secure)
    {
        // The change is made; only the message is lost.
        tracing::error!(error = %err, "the flash message could not be set");
    }
    response
}

/// The message waiting for this request, if any.
pub struct PendingFlash(pub Option<Flash>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PendingFlash {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PendingFlash(Flash::from_headers(&parts.headers)))
    }
}
