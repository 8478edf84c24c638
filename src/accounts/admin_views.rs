//! The admin pages' data (`templates/accounts/`).

use askama::Template;

use super::account::Account;
use super::admin_forms::NewAccountForm;
use super::changes::AccountChange;
use crate::api_tokens::views::TokenRow;
use crate::auth::SignedIn;
use crate::domain::Role;
use crate::http::flash::Flash;
use crate::views::{Instant, Layout};

/// One account in the list.
pub struct AccountRow {
    pub username: String,
    /// The account's page, `/accounts/{username}`.
    pub path: String,
    pub role: Role,
    pub enabled: bool,
    pub last_sign_in: Option<Instant>,
}

impl From<Account> for AccountRow {
    fn from(account: Account) -> Self {
        AccountRow {
            path: super::path(&account.username),
            username: account.username,
            role: account.role,
            enabled: account.disabled_at.is_none(),
            last_sign_in: account.last_sign_in_at.map(Instant::from),
        }
    }
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
pub struct AccountsPage {
    pub layout: Layout,
    pub rows: Vec<AccountRow>,
}

#[derive(Template)]
#[template(path = "accounts/new.html")]
pub struct NewAccountPage {
    pub layout: Layout,
    pub form: NewAccountForm,
    pub errors: Vec<(&'static str, String)>,
    pub roles: [Role; 3],
}

impl NewAccountPage {
    pub fn new(
        registrar: &SignedIn,
        form: NewAccountForm,
        errors: Vec<(&'static str, String)>,
    ) -> Self {
        NewAccountPage {
            layout: Layout::new("New account")
                .with_registrar(registrar)
                .with_errors(!errors.is_empty()),
            form,
            errors,
            roles: Role::ALL,
        }
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The role chosen: the form's, else `registrar`.
    pub fn chosen(&self, role: &Role) -> bool {
        Role::parse(&self.form.role).unwrap_or(Role::Registrar) == *role
    }
}

/// A recorded change as pages show it.
pub struct ChangeRow {
    pub version: i64,
    pub actor: String,
    pub detail: String,
    pub at: Instant,
}

impl From<AccountChange> for ChangeRow {
    fn from(change: AccountChange) -> Self {
        ChangeRow {
            version: change.version,
            actor: change.actor,
            detail: change.detail,
            at: Instant::from(change.at),
        }
    }
}

#[derive(Template)]
#[template(path = "accounts/show.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub account: AccountRow,
    pub version: i64,
    pub must_change_password: bool,
    pub created: Instant,
    pub changes: Vec<ChangeRow>,
    pub roles: [Role; 3],
    /// Why the last submission was refused (`422`).
    pub problem: Option<String>,
    /// The admin looking is this account's holder: their password is set
    /// on `/account`, with the current one.
    pub is_own: bool,
    /// The account's API tokens (contract §13), which admins may revoke.
    pub tokens: Vec<TokenRow>,
    /// Since when the account has a second factor (contract §14), if it
    /// has one.
    pub two_factor_since: Option<Instant>,
    /// How the account signs in (contract §14), a sentence.
    pub sign_in: String,
    /// Whether the page offers to link a university identity (the
    /// university sign-in is configured and the account has none).
    pub link_offered: bool,
}

impl AccountPage {
    pub fn new(
        registrar: &SignedIn,
        account: Account,
        changes: Vec<AccountChange>,
        problem: Option<String>,
    ) -> Self {
        AccountPage {
            is_own: account.id == registrar.id,
            layout: Layout::new(format!("Account {}", account.username))
                .with_registrar(registrar)
                .with_errors(problem.is_some()),
            version: account.version,
            must_change_password: account.must_change_password,
            created: Instant::from(account.created_at),
            account: AccountRow::from(account),
            changes: changes.into_iter().map(ChangeRow::from).collect(),
            roles: Role::ALL,
            problem,
            tokens: Vec::new(),
            two_factor_since: None,
            sign_in: String::new(),
            link_offered: false,
        }
    }

    pub fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.layout = self.layout.with_flash(flash);
        self
    }

    /// The tokens `templates/account/_tokens.html` lists.
    pub fn token_rows(&self) -> &[TokenRow] {
        &self.tokens
    }

    /// Where a listed token's "Revoke" posts, before `/{id}/revoke`.
    pub fn revoke_base(&self) -> String {
        format!("{}/tokens", self.account.path)
    }
}

/// `409`: the account changed since the form was opened.
#[derive(Template)]
#[template(path = "accounts/stale.html")]
pub struct StaleAccountPage {
    pub layout: Layout,
    pub account: AccountRow,
    pub seen: i64,
    pub version: i64,
    pub missed: Vec<ChangeRow>,
}

impl StaleAccountPage {
    pub fn new(
        registrar: &SignedIn,
        account: Account,
        missed: Vec<AccountChange>,
        seen: i64,
    ) -> Self {
        StaleAccountPage {
            layout: Layout::new(format!("Account {} changed meanwhile", account.username))
                .with_registrar(registrar),
            version: account.version,
            account: AccountRow::from(account),
            seen,
            missed: missed.into_iter().map(ChangeRow::from).collect(),
        }
    }
}
