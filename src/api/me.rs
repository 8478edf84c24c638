//! `GET /api/v1/me`: who the caller is, as the API sees them: the
//! account, the role it acts with now, and the token it came with. A
//! script's first call, to check its token before it relies on it.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::json::time;
use super::problem::ApiError;
use crate::api_tokens::store;
use crate::domain::Role;
use crate::state::AppState;

/// A role, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleBody {
    Viewer,
    Registrar,
    Admin,
}

impl From<Role> for RoleBody {
    fn from(role: Role) -> Self {
        match role {
            Role::Viewer => RoleBody::Viewer,
            Role::Registrar => RoleBody::Registrar,
            Role::Admin => RoleBody::Admin,
        }
    }
}

/// The caller of the request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeBody {
    /// The account the token belongs to.
    pub username: String,
    /// The role the request acts with: the account's role now, capped by
    /// the token's.
    pub role: RoleBody,
    pub token: TokenBody,
}

/// The token the request came with (never the token itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenBody {
    /// The token's id, as `/account` and `registrar token list` show it.
    pub id: i64,
    /// What its holder called it.
    pub name: String,
    /// The most the token may do; `null`: the account's role, whatever it
    /// becomes.
    pub role: Option<RoleBody>,
    /// When it stops working; `null`: never.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// Who is calling.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeBody),
    )
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    // Revoked between the gate and here: as if it had been a moment earlier.
    let token = store::find(&state.db, caller.token_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let body = MeBody {
        username: caller.username,
        role: caller.role.into(),
        token: TokenBody {
            id: token.id,
            name: token.name,
            role: token.role.map(RoleBody::from),
            expires_at: token.expires_at.map(time),
        },
    };
    let bytes = serde_json::to_vec(&body).map_err(|err| ApiError::Internal(err.to_string()))?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response())
}
