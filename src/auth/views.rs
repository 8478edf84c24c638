//! The sign-in and first-setup pages.

use askama::Template;

use crate::views::Layout;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub username: String,
    /// Where to go after signing in (a local path), or empty.
    pub next: String,
    /// The one generic message for a failed sign-in, or a throttling notice.
    pub problem: Option<String>,
    /// The university sign-in, when configured (contract §14).
    pub university: Option<crate::oidc::offer::UniversitySignIn>,
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
pub struct SetupPage {
    pub layout: Layout,
    pub username: String,
    pub errors: Vec<(&'static str, String)>,
}

impl SetupPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn label(&self, field: &str) -> &'static str {
        match field {
            "username" => "Username",
            "password" => "Password",
            _ => "Confirm the password",
        }
    }
}
