//! Who is calling the API: the account a bearer token belongs to, with the
//! role it acts with (the account's current role, capped by the token's).
//!
//! The API never reads the session cookie: a request with only a cookie is
//! `401`, so a browser can never be led into an API write.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::ApiError;
use crate::domain::Role;
use crate::state::AppState;

/// The caller of an API request, resolved from its token by the route's
/// guard before the handler runs.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: i64,
    pub username: String,
    /// The account's role now, capped by the token's.
    pub role: Role,
    pub token_id: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// What an API route's guard needs: the state (to look tokens up) and the
/// least role the route allows.
#[derive(Clone)]
pub struct Gate {
    pub state: AppState,
    pub role: Role,
}

/// Middleware on every API route: resolves the bearer token into a
/// [`Caller`] (or answers `401`), and refuses a role below the route's
/// with `403`, before the handler runs.
pub async fn guard(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let caller = match resolve(&gate.state, request.headers()).await {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    if caller.role < gate.role {
        return ApiError::NotAllowed(caller.role).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller a request's `Authorization: Bearer` token stands for.
async fn resolve(_state: &AppState, _headers: &HeaderMap) -> Result<Caller, ApiError> {
    Err(ApiError::Unauthorized)
}
