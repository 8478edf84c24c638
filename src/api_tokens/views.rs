//! Tokens as pages show them (`templates/account/_tokens.html`,
//! `templates/account/token_made.html`): on `/account` with the form that
//! makes one, and on `/accounts/{username}` for admins. Never the token:
//! only the page that makes one shows it, once.

use askama::Template;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::store::{self, ApiToken};
use crate::auth::SignedIn;
use crate::domain::Role;
use crate::views::{Instant, Layout};

/// One token in a list.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// The most it may do; `None`: the account's role.
    pub cap: Option<Role>,
    pub created: Instant,
    pub created_by: String,
    pub expires: Option<Instant>,
    pub last_used: Option<Instant>,
    /// When it was revoked, and by whom.
    pub revoked: Option<(Instant, String)>,
    /// Past its expiry (and not revoked).
    pub expired: bool,
}

impl TokenRow {
    pub fn new(token: ApiToken, at: DateTime<Utc>) -> Self {
        let revoked = token
            .revoked_at
            .map(|when| (Instant::from(when), token.revoked_by.unwrap_or_default()));
        let expired = revoked.is_none() && token.expires_at.is_some_and(|end| end <= at);
        TokenRow {
            id: token.id,
            name: token.name,
            cap: token.role,
            created: Instant::from(token.created_at),
            created_by: token.created_by,
            expires: token.expires_at.map(Instant::from),
            last_used: token.last_used_at.map(Instant::from),
            revoked,
            expired,
        }
    }

    pub fn is_active(&self) -> bool {
        self.revoked.is_none() && !self.expired
    }
}

/// The account's tokens, newest first, as lists show them.
pub async fn rows(db: &impl ConnectionTrait, account_id: i64) -> Result<Vec<TokenRow>, DbErr> {
    let at = crate::db::now();
    Ok(store::of_account(db, account_id)
        .await?
        .into_iter()
        .map(|token| TokenRow::new(token, at))
        .collect())
}

/// The new-token form as typed (never the password).
#[derive(Debug, Clone, Default)]
pub struct TokenForm {
    pub name: String,
    /// `""`: no cap.
    pub role: String,
    pub days: String,
}

/// The tokens on `/account`: the list and the form that makes one.
#[derive(Debug, Clone, Default)]
pub struct OwnTokens {
    pub rows: Vec<TokenRow>,
    pub form: TokenForm,
    /// The caps offered: the account's role and those below it.
    pub caps: Vec<Role>,
    /// `--max-token-days`.
    pub max_days: u32,
}

impl OwnTokens {
    pub async fn load(
        db: &impl ConnectionTrait,
        registrar: &SignedIn,
        max_days: u32,
    ) -> Result<Self, DbErr> {
        Ok(OwnTokens {
            rows: rows(db, registrar.id).await?,
            form: TokenForm::default(),
            caps: Role::ALL
                .into_iter()
                .filter(|role| *role <= registrar.role())
                .collect(),
            max_days,
        })
    }

    /// Whether the form has `cap` (a role's name, or `""`) chosen.
    pub fn chosen(&self, cap: &str) -> bool {
        self.form.role.trim().eq_ignore_ascii_case(cap)
    }
}

/// The answer to making a token: the token, shown this once.
#[derive(Template)]
#[template(path = "account/token_made.html")]
pub struct TokenMadePage {
    pub layout: Layout,
    pub token: String,
    pub row: TokenRow,
    /// The account's role now: what an uncapped token acts with.
    pub role: Role,
}

impl TokenMadePage {
    pub fn new(registrar: &SignedIn, token: String, row: ApiToken) -> Self {
        TokenMadePage {
            layout: Layout::new("New API token").with_registrar(registrar),
            token,
            row: TokenRow::new(row, crate::db::now()),
            role: registrar.role(),
        }
    }
}
