//! Roles (contract §9) and who may use a route.
//!
//! Every route of [`crate::routes::table`] states its [`Access`]; the
//! [`guard`] middleware enforces it before the handler runs, and every
//! write re-checks the writer's role and enabled state inside its own
//! transaction ([`super::writer::recheck`]), so a demotion or a disable takes effect at
//! once, even for a form opened before it.

use super::sessions::SignedIn;
use crate::domain::Role;
use crate::error::AppError;
use crate::http::redirect::see_other;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

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
    /// An API caller (a bearer token, never the session) acting with at
    /// least this role ([`crate::api::caller`]).
    Api(Role),
}

impl Access {
    /// Whether the route reads the session.
    pub fn reads_session(self) -> bool {
        !matches!(self, Access::Anyone | Access::Api(_))
    }

    /// Whether an account with `role` may use the route.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Anyone | Access::Visitor | Access::SignedIn => true,
            Access::Role(needed) | Access::Api(needed) => role >= needed,
        }
    }
}

/// Middleware: lets the request through only if its account may use the
/// route. Without a session, a `GET` is sent to sign in (and back),
/// anything else to the sign-in page, nothing done; an account that must
/// choose a new password is sent to `/account`, one that must set up a
/// second factor to `/account/two-factor`; a role too low is a `403`
/// page.
pub async fn guard(State(access): State<Access>, request: Request, next: Next) -> Response {
    if matches!(access, Access::Anyone | Access::Visitor) {
        return next.run(request).await;
    }
    let Some(registrar) = request.extensions().get::<SignedIn>() else {
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
    // `--require-two-factor`: its page first (signing out stays open).
    if registrar.must_set_up_two_factor()
        && !registrar.must_change_password()
        && !request.uri().path().starts_with(TWO_FACTOR_SETUP)
    {
        return see_other(TWO_FACTOR_SETUP);
    }
    if !access.allows(registrar.role()) {
        return AppError::NotAllowed(registrar.role()).into_response();
    }
    next.run(request).await
}

/// Where an account sets up its second factor.
const TWO_FACTOR_SETUP: &str = "/account/two-factor";

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
    fn a_route_allows_its_role_and_those_above_it() {
        assert!(Access::Role(Role::Registrar).allows(Role::Admin));
        assert!(!Access::Role(Role::Registrar).allows(Role::Viewer));
        assert!(Access::SignedIn.allows(Role::Viewer));
    }
}
