//! Who is calling the API: the account a bearer token belongs to, with the
//! role it acts with (the account's current role, capped by the token's).
//!
//! The API never reads the session cookie: a request with only a cookie is
//! `401`, so a browser can never be led into an API write.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::ApiError;
use crate::api_tokens::bearer::{self, Credential};
use crate::api_tokens::throttle;
use crate::auth::client::client_address;
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
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let caller = match resolve(&gate.state, request.headers(), peer).await {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    if caller.role < gate.role {
        return ApiError::NotAllowed(caller.role).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller a request's `Authorization: Bearer` token stands for
/// ([`bearer`]: that header alone, never a cookie). A wrong token (unknown,
/// expired, revoked, its account disabled, or not a token at all) counts
/// against the client's address ([`throttle`]): `401`, or `429` once the
/// address has sent too many. No token at all is `401`, uncounted.
async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Result<Caller, ApiError> {
    let offered = match bearer::credential(headers) {
        Credential::None => return Err(ApiError::Unauthorized),
        Credential::Malformed => None,
        Credential::Bearer(token) => Some(token),
    };
    if let Some(token) = offered
        && let Some(holder) = bearer::authenticate(&state.db, token).await?
    {
        return Ok(Caller {
            account_id: holder.account.id,
            username: holder.account.username,
            role: holder.role,
            token_id: holder.token.id,
        });
    }
    let client = client_address(headers, peer, &state.auth);
    match throttle::count_wrong(&state.db, &state.auth.tokens.throttle, &client).await? {
        Ok(()) => Err(ApiError::Unauthorized),
        Err(wait) => Err(ApiError::TooManyRequests(wait)),
    }
}
