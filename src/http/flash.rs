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
    /// That student was deleted (the list names it and offers undo).
    Deleted(i64),
    Imported,
    /// The values of that version were brought back.
    Restored(i64),
    Undeleted,
    AccountCreated,
    PasswordChanged,
    SessionEnded,
    /// An admin tried to set their own password from the accounts pages.
    OwnPasswordHere,
    /// An API token was revoked (or had been already).
    TokenRevoked,
}

impl Flash {
    const FIXED: [Flash; 10] = [
        Flash::OwnPasswordHere,
        Flash::TokenRevoked,
        Flash::AccountCreated,
        Flash::PasswordChanged,
        Flash::SessionEnded,
        Flash::Created,
        Flash::Saved,
        Flash::NoChanges,
        Flash::Imported,
        Flash::Undeleted,
    ];

    /// The cookie's value: a fixed word, `restored-N` or `deleted-ID`.
    fn word(self) -> String {
        match self {
            Flash::Created => "created".to_owned(),
            Flash::Saved => "saved".to_owned(),
            Flash::NoChanges => "no-changes".to_owned(),
            Flash::Deleted(id) => format!("deleted-{id}"),
            Flash::Imported => "imported".to_owned(),
            Flash::Undeleted => "undeleted".to_owned(),
            Flash::AccountCreated => "account-created".to_owned(),
            Flash::PasswordChanged => "password-changed".to_owned(),
            Flash::SessionEnded => "session-ended".to_owned(),
            Flash::OwnPasswordHere => "own-password-here".to_owned(),
            Flash::TokenRevoked => "token-revoked".to_owned(),
            Flash::Restored(version) => format!("restored-{version}"),
        }
    }

    pub fn message(self) -> String {
        match self {
            Flash::Created => "Student created".to_owned(),
            Flash::Saved => "Saved".to_owned(),
            Flash::NoChanges => "No changes".to_owned(),
            Flash::Deleted(_) => "Deleted".to_owned(),
            Flash::Imported => "Students imported".to_owned(),
            Flash::Undeleted => "Undeleted".to_owned(),
            Flash::AccountCreated => "Account created".to_owned(),
            Flash::PasswordChanged => "Password changed; your other sessions have ended".to_owned(),
            Flash::SessionEnded => "Signed out".to_owned(),
            Flash::OwnPasswordHere => {
                "Nothing was changed: your own password is changed here, with your current one"
                    .to_owned()
            }
            Flash::TokenRevoked => {
                "Token revoked: no request is accepted with it any more".to_owned()
            }
            Flash::Restored(version) => format!("Restored version {version}"),
        }
    }

    fn cookie(self) -> SetCookie {
        SetCookie::new(COOKIE, self.word()).max_age(60)
    }

    /// The message waiting in the request's cookies, if any.
    pub fn from_headers(headers: &HeaderMap) -> Option<Flash> {
        let value = cookie::read(headers, COOKIE)?;
        let number = |text: &str| text.parse::<i64>().ok().filter(|n| *n > 0);
        if let Some(version) = value.strip_prefix("restored-") {
            return number(version).map(Flash::Restored);
        }
        if let Some(id) = value.strip_prefix("deleted-") {
            return number(id).map(Flash::Deleted);
        }
        Flash::FIXED.into_iter().find(|f| f.word() == value)
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
