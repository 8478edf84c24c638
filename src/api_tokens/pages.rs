//! The tokens' forms: making one on `/account` (the password typed again,
//! checked under the sign-in throttle like a password change, so a session
//! left open is no way to a token), revoking one there, and an admin
//! revoking any account's on `/accounts/{username}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::store::{self, NewToken, Revocation, TokenError};
use super::views::{TokenForm, TokenMadePage};
use crate::accounts::changes::Actor;
use crate::accounts::own_views::OwnAccountPage;
use crate::accounts::{self, own};
use crate::auth::throttle::{self, Guesser, PeerAddr};
use crate::auth::{SignedIn, password};
use crate::domain::{Role, TokenDays, TokenName};
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::path::StudentId;
use crate::http::redirect::see_other_with;
use crate::state::AppState;
use crate::views::render;

impl From<TokenError> for AppError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::NotEnabled => AppError::SignedOut,
            TokenError::AboveRole(role) => AppError::NotAllowed(role),
            TokenError::Refused(refused) => refused.into(),
            TokenError::Database(err) => err.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
    /// A role's name, or blank for no cap.
    #[serde(default)]
    role: String,
    /// Blank: `--max-token-days`.
    #[serde(default)]
    days: String,
    #[serde(default)]
    password: String,
}

/// `POST /account/tokens`: makes a token and shows it, once. Nothing is
/// made unless every field is right and the password is the account's.
pub async fn create(
    State(state): State<AppState>,
    registrar: SignedIn,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let name = TokenName::parse(&form.name)
        .map_err(|m| errors.push(("token_name", m)))
        .ok();
    let cap = match form.role.trim() {
        "" => Some(None),
        text => match Role::parse(text) {
            Some(role) if role <= registrar.role() => Some(Some(role)),
            _ => {
                errors.push((
                    "token_role",
                    format!(
                        "Choose a role your account has or one below it ({})",
                        registrar.role()
                    ),
                ));
                None
            }
        },
    };
    let days = TokenDays::parse(&form.days, state.auth.tokens.max_days)
        .map_err(|m| errors.push(("token_days", m)))
        .ok();
    if form.password.is_empty() {
        errors.push(("token_password", "Enter your password".to_owned()));
    } else if let Err(refusal) = check_password(&state, &registrar, &headers, peer, &form).await? {
        errors.insert(0, ("token_password", refusal.message));
        let mut response = render(
            refusal.status,
            &typed(&state, &registrar, &form, errors).await?,
        )?;
        if let Some(wait) = refusal.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        return Ok(response);
    }
    let (Some(name), Some(cap), Some(days), true) = (name, cap, days, errors.is_empty()) else {
        let page = typed(&state, &registrar, &form, errors).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let holder = Actor::Holder {
        id: registrar.id,
        username: registrar.username(),
    };
    let new = NewToken { name, cap, days };
    match store::issue(&state.db, registrar.id, &holder, &new).await {
        Ok(issued) => {
            tracing::info!(registrar = %registrar.username(), token = issued.row.id, "API token made");
            render(
                StatusCode::OK,
                &TokenMadePage::new(&registrar, issued.token, issued.row),
            )
        }
        // Demoted since the page was opened.
        Err(TokenError::AboveRole(role)) => {
            let message = format!("Choose a role your account has or one below it ({role})");
            let page = typed(&state, &registrar, &form, vec![("token_role", message)]).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(err) => Err(err.into()),
    }
}

/// Why the password typed again did not let the token be made.
struct PasswordRefusal {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

/// Checks the password typed again, counted as a sign-in attempt.
async fn check_password(
    state: &AppState,
    registrar: &SignedIn,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    form: &NewTokenForm,
) -> Result<Result<(), PasswordRefusal>, AppError> {
    let account = accounts::find_by_username(&state.db, &registrar.username().to_ascii_lowercase())
        .await?
        .ok_or(AppError::SignedOut)?;
    let client = throttle::client_address(headers, peer, &state.auth);
    let guesser = Guesser::new(&account.username_key, &client);
    let check = match throttle::admit(&state.db, &state.auth.throttle, &guesser).await? {
        Ok(check) => check,
        Err(refusal) => {
            return Ok(Err(PasswordRefusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: refusal.message(),
                retry_after: Some(refusal.retry_after()),
            }));
        }
    };
    let matches = password::verify(form.password.clone(), Some(account.password_hash)).await;
    check.finish(&state.db, matches).await?;
    Ok(if matches {
        Ok(())
    } else {
        Err(PasswordRefusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "Your password is not right".to_owned(),
            retry_after: None,
        })
    })
}

/// `/account` again, the form as typed (but the password) and `errors`.
async fn typed(
    state: &AppState,
    registrar: &SignedIn,
    form: &NewTokenForm,
    errors: Vec<(&'static str, String)>,
) -> Result<OwnAccountPage, AppError> {
    let mut page = own::page(state, registrar, errors).await?;
    page.tokens.form = TokenForm {
        name: form.name.clone(),
        role: form.role.clone(),
        days: form.days.clone(),
    };
    Ok(page)
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// A token id from the path: a positive integer, read as every id in a
/// path is, else `404`.
fn token_id(segment: &str) -> Result<i64, AppError> {
    StudentId::parse(segment)
        .map(|StudentId(id)| id)
        .ok_or(AppError::NotFound)
}

/// `POST /account/tokens/{token}/revoke`: one of one's own tokens.
pub async fn revoke_own(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(token): Path<String>,
    Form(_): Form<EmptyForm>,
) -> Result<Response, AppError> {
    let holder = Actor::Holder {
        id: registrar.id,
        username: registrar.username(),
    };
    match store::revoke(&state.db, &holder, token_id(&token)?, Some(registrar.id)).await? {
        Revocation::NotFound => Err(AppError::NotFound),
        Revocation::Revoked(_) | Revocation::AlreadyRevoked(_) => {
            Ok(see_other_with("/account", Flash::TokenRevoked))
        }
    }
}

/// `POST /accounts/{username}/tokens/{token}/revoke`: an admin revokes
/// one of any account's tokens.
pub async fn revoke_for(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path((username, token)): Path<(String, String)>,
    Form(_): Form<EmptyForm>,
) -> Result<Response, AppError> {
    let account = accounts::named_in_path(&state.db, &username).await?;
    let admin = Actor::Admin {
        id: registrar.id,
        username: registrar.username(),
    };
    match store::revoke(&state.db, &admin, token_id(&token)?, Some(account.id)).await? {
        Revocation::NotFound => Err(AppError::NotFound),
        Revocation::Revoked(_) | Revocation::AlreadyRevoked(_) => {
            tracing::info!(admin = %registrar.username(), account = %account.username, "API token revoked");
            Ok(see_other_with(
                &accounts::path(&account.username),
                Flash::TokenRevoked,
            ))
        }
    }
}
