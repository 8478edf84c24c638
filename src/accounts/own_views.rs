//! The `/account` page's data (`templates/account/`).

use askama::Template;

use crate::api_tokens::views::{OwnTokens, TokenRow};
use crate::auth::SignedIn;
use crate::auth::tokens::digest;
use crate::db::entities::session;
use crate::domain::Role;
use crate::http::flash::Flash;
use crate::kept::pages::KeptRow;
use crate::views::{Instant, Layout};

/// One of the account's sessions.
pub struct SessionRow {
    /// Names the session in its "sign out" form; not the cookie, nor its digest.
    pub id: String,
    pub started: Instant,
    pub last_seen: Instant,
    pub client_addr: String,
    pub browser: String,
    pub is_this_one: bool,
}

impl SessionRow {
    pub fn new(session: session::Model, this_one: &str) -> Self {
        SessionRow {
            id: SessionRow::public_id(&session.token_hash),
            started: Instant::from(session.created_at),
            last_seen: Instant::from(session.last_seen_at),
            client_addr: session.client_addr.unwrap_or_else(|| "unknown".to_owned()),
            browser: session
                .user_agent
                .filter(|ua| !ua.is_empty())
                .unwrap_or_else(|| "unknown".to_owned()),
            is_this_one: session.token_hash == this_one,
        }
    }

    /// The session's name in pages: 16 hex digits of a digest of its digest.
    pub fn public_id(token_hash: &str) -> String {
        digest(token_hash).chars().take(16).collect()
    }
}

#[derive(Template)]
#[template(path = "account/show.html")]
pub struct OwnAccountPage {
    pub layout: Layout,
    pub username: String,
    pub role: Role,
    pub must_change_password: bool,
    pub sessions: Vec<SessionRow>,
    pub errors: Vec<(&'static str, String)>,
    /// Forms kept when one of its sessions ended (contract §12).
    pub kept: Vec<KeptRow>,
    /// The account's API tokens and the form that makes one (contract §13).
    pub tokens: OwnTokens,
    /// Whether the account has a second factor (contract §14).
    pub two_factor_on: bool,
    /// How this account signs in (contract §14), a sentence.
    pub sign_in: String,
}

impl OwnAccountPage {
    pub fn new(
        registrar: &SignedIn,
        sessions: Vec<SessionRow>,
        errors: Vec<(&'static str, String)>,
    ) -> Self {
        OwnAccountPage {
            layout: Layout::new("My account")
                .with_registrar(registrar)
                .with_errors(!errors.is_empty()),
            username: registrar.username().to_owned(),
            role: registrar.role(),
            must_change_password: registrar.must_change_password(),
            sessions,
            errors,
            kept: Vec::new(),
            tokens: OwnTokens::default(),
            two_factor_on: false,
            sign_in: String::new(),
        }
    }

    /// The tokens `templates/account/_tokens.html` lists.
    pub fn token_rows(&self) -> &[TokenRow] {
        &self.tokens.rows
    }

    /// Where a listed token's "Revoke" posts, before `/{id}/revoke`.
    pub fn revoke_base(&self) -> &str {
        "/account/tokens"
    }

    pub fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.layout = self.layout.with_flash(flash);
        self
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn label(&self, field: &str) -> &'static str {
        match field {
            "current_password" => "Current password",
            "password" => "New password",
            _ => "Confirm the new password",
        }
    }

    pub fn autocomplete(&self, field: &str) -> &'static str {
        if field == "current_password" {
            "current-password"
        } else {
            "new-password"
        }
    }
}
