//! Cross-site request forgery: every state-changing form carries a token
//! that a page of another site cannot know.
//!
//! Signed in, the token belongs to the session (kept in its row). Before
//! signing in (the login and setup forms), it is a random value in a
//! `SameSite=Strict` cookie that the form must repeat.

use axum::http::HeaderMap;

use super::sessions::SignedIn;
use super::tokens::{constant_time_eq, random_token};
use crate::http::cookie::{self, SameSite, SetCookie};

/// The hidden input's name.
pub const FIELD: &str = "csrf_token";
const PRE_SESSION_COOKIE: &str = "registrar_csrf";

/// Whether `submitted` is the token of this request's session or, before
/// signing in, of its pre-session cookie. A signed-in request is held to
/// its session's token alone: a cookie planted by a neighbouring site
/// cannot stand in for it.
pub fn is_valid(
    submitted: Option<&str>,
    registrar: Option<&SignedIn>,
    headers: &HeaderMap,
) -> bool {
    let Some(submitted) = submitted.filter(|s| !s.is_empty()) else {
        return false;
    };
    let expected = match registrar {
        Some(registrar) => Some(registrar.csrf_token()),
        None => pre_session_token(headers),
    };
    expected.is_some_and(|expected| constant_time_eq(submitted, expected))
}

fn pre_session_token(headers: &HeaderMap) -> Option<&str> {
    cookie::read(headers, PRE_SESSION_COOKIE).filter(|t| t.len() == 43)
}

/// The pre-session token for a login or setup form: the one the browser
/// already holds, or a new one with the cookie that gives it.
pub fn pre_session(headers: &HeaderMap) -> (String, Option<SetCookie>) {
    if let Some(token) = pre_session_token(headers) {
        return (token.to_owned(), None);
    }
    let token = random_token();
    let cookie = SetCookie::new(PRE_SESSION_COOKIE, token.clone()).same_site(SameSite::Strict);
    (token, Some(cookie))
}

/// The cookie that removes the pre-session token (once signed in).
pub fn pre_session_removal() -> SetCookie {
    SetCookie::removal(PRE_SESSION_COOKIE).same_site(SameSite::Strict)
}
