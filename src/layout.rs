//! What the shared layout (`templates/base.html`) shows on every page,
//! error pages included. It depends on nothing of the request path, so
//! that [`crate::error`] can render pages without depending on handlers;
//! the signed-in registrar is added by `Layout::with_registrar`, which
//! lives beside [`crate::auth::SignedIn`].

use crate::http::flash::Flash;

/// What the shared layout shows on every page.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    /// The signed-in registrar, shown in the header.
    pub registrar: Option<String>,
    /// Their role: the header offers only what it may do.
    pub role: Option<crate::domain::Role>,
    /// The token every form on the page sends back.
    pub csrf_token: String,
    /// A one-time message after a redirect ("Saved").
    pub flash: Option<Flash>,
    /// The record the flash is about, by name, when the page looked it up.
    pub flash_subject: Option<String>,
    /// `Error: ` goes before the title when the page shows form errors.
    pub has_errors: bool,
    /// A page that shows work in progress reloads itself after this many
    /// seconds (`<meta http-equiv="refresh">`, no JavaScript).
    pub refresh_seconds: Option<u32>,
    /// The office's time zone, in which the page shows times
    /// ([`crate::views::Instant`]); set with the signed-in registrar, as
    /// only their pages show times.
    pub zone: crate::zone::Zone,
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

    /// For the pages before signing in: the pre-session CSRF token.
    pub fn with_csrf_token(mut self, token: String) -> Self {
        self.csrf_token = token;
        self
    }

    pub fn refreshing_every(mut self, seconds: u32) -> Self {
        self.refresh_seconds = Some(seconds);
        self
    }

    pub fn with_errors(mut self, has_errors: bool) -> Self {
        self.has_errors = has_errors;
        self
    }

    /// Whether the page may offer changes to records.
    pub fn may_change_records(&self) -> bool {
        self.role
            .is_some_and(crate::domain::Role::may_change_records)
    }

    /// Whether the page may offer the admins' account pages.
    pub fn may_manage_accounts(&self) -> bool {
        self.role
            .is_some_and(crate::domain::Role::may_manage_accounts)
    }

    pub fn flash_message(&self) -> Option<String> {
        match (self.flash, &self.flash_subject) {
            (Some(Flash::Deleted(_)), Some(name)) => Some(format!("{name} deleted.")),
            (flash, _) => flash.map(Flash::message),
        }
    }

    /// What the flash offers next: after a delete, undoing it (the deleted
    /// record's page, which undeletes).
    pub fn flash_action(&self) -> Option<(&'static str, String)> {
        match self.flash {
            Some(Flash::Deleted(id)) => Some(("Undo", format!("/students/{id}"))),
            _ => None,
        }
    }

    /// "My changes": the office's change log filtered to the signed-in
    /// account (`/changes?by=USERNAME`).
    pub fn my_changes_href(&self) -> String {
        let by = self.registrar.as_deref().unwrap_or_default();
        format!("/changes?by={}", crate::http::encode::query_value(by))
    }

    /// Names the record the flash is about ("Ada Lovelace deleted.").
    pub fn with_flash_subject(mut self, name: Option<String>) -> Self {
        self.flash_subject = name;
        self
    }
}
