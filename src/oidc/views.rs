//! The page a refused university sign-in answers with.

use askama::Template;
use axum::http::StatusCode;

use crate::views::Layout;

#[derive(Template)]
#[template(path = "auth/provider_refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: String,
    pub status: u16,
}

/// Why a university sign-in signed nobody in, in the office's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The provider did not answer (discovery, keys or the code exchange).
    Unavailable,
    /// No flow of this browser's, or an expired one: another browser's
    /// answer, a replayed one, or one that took too long.
    NotThisBrowser,
    /// The answer's `state` is not the one this browser's flow sent.
    ForeignState,
    /// The provider answered with an error (`access_denied`, …).
    ProviderError(String),
    /// The code could not be exchanged, or the ID token does not verify.
    BadToken,
    /// The claims give no role.
    NoRole { claims: String },
    /// The linked account is disabled.
    Disabled,
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::NotThisBrowser | Refusal::ForeignState => StatusCode::BAD_REQUEST,
            Refusal::ProviderError(_) | Refusal::NoRole { .. } | Refusal::Disabled => {
                StatusCode::FORBIDDEN
            }
            Refusal::BadToken => StatusCode::UNAUTHORIZED,
        }
    }

    pub fn page(&self, name: &str) -> RefusedPage {
        let (heading, message) = match self {
            Refusal::Unavailable => (
                "University sign-in is unavailable",
                format!(
                    "Registrar cannot reach {name} at the moment. Try again in a few minutes; \
                     registrar keeps trying by itself."
                ),
            ),
            Refusal::NotThisBrowser => (
                "This sign-in was not started here",
                "This answer from the university sign-in does not belong to a sign-in started \
                 in this browser in the last ten minutes, or it was used already. Start again \
                 from the sign-in page."
                    .to_owned(),
            ),
            Refusal::ForeignState => (
                "This sign-in was not started here",
                "This answer from the university sign-in does not match the sign-in this \
                 browser started. Start again from the sign-in page."
                    .to_owned(),
            ),
            Refusal::ProviderError(code) if code == "access_denied" => (
                "The university sign-in was refused",
                format!("{name} did not sign you in (the sign-in was cancelled or refused)."),
            ),
            Refusal::ProviderError(_) => (
                "The university sign-in was refused",
                format!("{name} answered with an error, so nobody was signed in."),
            ),
            Refusal::BadToken => (
                "The university sign-in could not be checked",
                "The identity provider's answer could not be verified (it may have expired, \
                 or been meant for another application). Start again from the sign-in page."
                    .to_owned(),
            ),
            Refusal::NoRole { claims } => (
                "No registrar role for this account",
                format!(
                    "You signed in at the university, but your account is in none of the \
                     groups that give a role in registrar ({claims}). Ask the registrar \
                     office's administrator to add you to one; no account was created."
                ),
            ),
            Refusal::Disabled => (
                "This account is disabled",
                "Your registrar account is disabled. Ask the registrar office's administrator."
                    .to_owned(),
            ),
        };
        RefusedPage {
            layout: Layout::new(heading),
            heading,
            message,
            status: self.status().as_u16(),
        }
    }
}
