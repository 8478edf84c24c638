//! Roles (contract §9) and who may use a route.
//!
//! Every route of [`crate::routes::table`] states its [`Access`]; the
//! [`guard`] middleware enforces it before the handler runs, and every
//! write re-checks the writer's role and enabled state inside its own
//! transaction ([`recheck`]), so a demotion or a disable takes effect at
//! once, even for a form opened before it.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QuerySelect};

use super::sessions::Registrar;
use crate::db::entities::registrar;
use crate::error::AppError;
use crate::http::redirect::see_other;

/// What an account may do. Ordered: each role may do everything the ones
/// before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Reads the list, records, histories and the CSV export.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// Also changes records and imports.
    #[sea_orm(string_value = "registrar")]
    Registrar,
    /// Also manages accounts.
    #[sea_orm(string_value = "admin")]
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Registrar, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Registrar => "registrar",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// What the role may do, in a sentence for pages.
    pub fn description(self) -> &'static str {
        match self {
            Role::Viewer => "reads records, histories and the export; changes nothing",
            Role::Registrar => "also creates, edits, deletes and imports records",
            Role::Admin => "also manages accounts",
        }
    }

    pub fn may_change_records(self) -> bool {
        self >= Role::Registrar
    }

    pub fn may_manage_accounts(self) -> bool {
        self >= Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; the session is not even read (`/healthz`, `/static/…`).
    Anyone,
    /// Anyone; the session is read (`/login`, `/logout`, `/setup`).
    Visitor,
    /// Every signed-in account, even one that must choose a new password
    /// first (`/account`).
    SignedIn,
    /// A signed-in account with at least this role.
    Role(Role),
}

impl Access {
    /// Whether the route reads the session.
    pub fn reads_session(self) -> bool {
        self != Access::Anyone
    }

    /// Whether an account with `role` may use the route.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Anyone | Access::Visitor | Access::SignedIn => true,
            Access::Role(needed) => role >= needed,
        }
    }
}

/// Middleware: lets the request through only if its account may use the
/// route. Without a session, a `GET` is sent to sign in (and back),
/// anything else to the sign-in page, nothing done; an account that must
/// choose a new password is sent to `/account`; a role too low is a `403`
/// page.
pub async fn guard(State(access): State<Access>, request: Request, next: Next) -> Response {
    if matches!(access, Access::Anyone | Access::Visitor) {
        return next.run(request).await;
    }
    let Some(registrar) = request.extensions().get::<Registrar>() else {
        if request.method() == Method::GET || request.method() == Method::HEAD {
            let back = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
            return see_other(&format!(
                "/login?next={}",
                utf8_percent_encode(back, QUERY_VALUE)
            ));
        }
        return see_other("/login");
    };
    if access != Access::SignedIn && registrar.must_change_password() {
        return see_other("/account");
    }
    if !access.allows(registrar.role()) {
        return AppError::NotAllowed(registrar.role()).into_response();
    }
    next.run(request).await
}

/// What must be escaped in a query value.
const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'>')
    .add(b'=')
    .add(b'?')
    .add(b'`');

/// Why a write was refused when it re-checked its writer.
#[derive(Debug, thiserror::Error)]
pub enum WriteRefused {
    #[error("not allowed for the {0} role")]
    Role(Role),
    #[error("the account is not enabled")]
    NotEnabled,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<WriteRefused> for AppError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Role(role) => AppError::NotAllowed(role),
            WriteRefused::NotEnabled => AppError::SignedOut,
            WriteRefused::Database(err) => err.into(),
        }
    }
}

/// Inside a write transaction: the account `account_id` still exists, is
/// enabled and has at least `needed`, read under a shared lock on its row
/// so that a demotion or disable waits for this write to end (and a write
/// after it sees it). Otherwise the caller rolls back.
pub async fn recheck(
    txn: &impl ConnectionTrait,
    account_id: i64,
    needed: Role,
) -> Result<Role, WriteRefused> {
    let account = registrar::Entity::find_by_id(account_id)
        .lock_shared()
        .one(txn)
        .await?;
    Ok(judged(account, needed)?.role)
}

/// The account a write is attributed to, as [`recheck_named`] found it.
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    pub id: i64,
    pub role: Role,
}

/// [`recheck`] for the account a write is attributed to, by its username
/// (the name the write records): one statement, the account read by its
/// unique username key under the same shared lock.
pub async fn recheck_named(
    txn: &impl ConnectionTrait,
    username: &str,
    needed: Role,
) -> Result<Writer, WriteRefused> {
    let account = registrar::Entity::find()
        .filter(registrar::Column::UsernameKey.eq(username.to_ascii_lowercase()))
        .lock_shared()
        .one(txn)
        .await?;
    judged(account, needed)
}

/// Whether `account` exists, is enabled and has at least `needed`.
fn judged(account: Option<registrar::Model>, needed: Role) -> Result<Writer, WriteRefused> {
    match account {
        Some(account) if account.disabled_at.is_none() => {
            if account.role >= needed {
                Ok(Writer {
                    id: account.id,
                    role: account.role,
                })
            } else {
                Err(WriteRefused::Role(account.role))
            }
        }
        _ => Err(WriteRefused::NotEnabled),
    }
}

/// Refuses with a `403` page unless `role` is at least `needed` (for
/// handlers that offer different things to different roles).
pub fn require(role: Role, needed: Role) -> Result<(), AppError> {
    if role >= needed {
        Ok(())
    } else {
        Err(AppError::NotAllowed(role))
    }
}

#[cfg(test)]
mod tests {
    use super::{Access, Role};

    #[test]
    fn roles_are_ordered_and_parse_from_their_names() {
        assert!(Role::Viewer < Role::Registrar && Role::Registrar < Role::Admin);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        assert!(Access::Role(Role::Registrar).allows(Role::Admin));
        assert!(!Access::Role(Role::Registrar).allows(Role::Viewer));
        assert!(Access::SignedIn.allows(Role::Viewer));
    }
}
