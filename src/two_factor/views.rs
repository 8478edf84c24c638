//! The two-factor pages' data (`templates/account/two_factor.html`,
//! `templates/auth/two_factor.html`).

use askama::Template;

use crate::views::{Instant, Layout};

/// `/account/two-factor`: turning it on, the recovery codes once, or
/// turning it off.
#[derive(Template)]
#[template(path = "account/two_factor.html")]
pub struct SetupPage {
    pub layout: Layout,
    pub username: String,
    /// `--require-two-factor`, and this account has none yet.
    pub required: bool,
    pub state: SetupState,
    /// A field's id and its message.
    pub errors: Vec<(&'static str, String)>,
}

pub enum SetupState {
    /// Off: a new secret to add to an app, and the form confirming it.
    Off {
        /// As the form sends it back.
        secret: String,
        /// In groups of four, to type.
        grouped: String,
        uri: String,
        /// An `<svg>` element (numbers and fixed words only).
        qr_svg: String,
    },
    /// Just turned on: the recovery codes, shown this once.
    Codes(Vec<String>),
    /// On since then, with this many recovery codes left.
    On { since: Instant, unused: u64 },
}

impl SetupPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// `/login/two-factor`: the code after a right password.
#[derive(Template)]
#[template(path = "auth/two_factor.html")]
pub struct SecondStepPage {
    pub layout: Layout,
    pub problem: Option<String>,
}
