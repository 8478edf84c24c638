//! The university sign-in as the sign-in page offers it: "Sign in with
//! NAME", or a notice that it is unavailable while the provider does not
//! answer.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::PasswordSignIn;
use crate::state::AppState;

pub struct UniversitySignIn {
    /// The button's words' NAME (`--oidc-name`).
    pub name: String,
    /// `/login/oidc?next=…`.
    pub href: String,
    /// Whether the provider answered; if not, the page says so.
    pub available: bool,
    /// `--password-sign-in off`: the password form is for break-glass
    /// accounts only.
    pub passwords_off: bool,
}

/// The offer on `/login` (with its `next`, a checked local path), if the
/// university sign-in is configured.
pub fn on_login_page(state: &AppState, next: &str) -> Option<UniversitySignIn> {
    let provider = state.oidc.as_ref()?;
    let href = match next {
        "" => "/login/oidc".to_owned(),
        next => format!(
            "/login/oidc?next={}",
            utf8_percent_encode(next, NON_ALPHANUMERIC)
        ),
    };
    Some(UniversitySignIn {
        name: provider.name.clone(),
        href,
        available: provider.discovered().is_some(),
        passwords_off: state.auth.passwords == PasswordSignIn::Off,
    })
}
