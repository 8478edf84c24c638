//! `/account…`: everyone's own password and sessions (contract §9); its
//! API tokens are [`crate::api_tokens::pages`]'.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::account as accounts;
use super::changes::Actor;
use super::own_views::{OwnAccountPage, SessionRow};
use super::store;
use crate::api_tokens::views::OwnTokens;
use crate::auth::throttle::{self, Guesser, PeerAddr};
use crate::auth::{SignedIn, password, sessions};
use crate::db::entities::ended_session::EndCause;
use crate::db::entities::session;
use crate::domain::NewPassword;
use crate::error::AppError;
use crate::http::flash::{Flash, PendingFlash};
use crate::http::form::Form;
use crate::http::redirect::{see_other, see_other_with};
use crate::state::AppState;
use crate::views::render;

/// `GET /account`
pub async fn show(
    State(state): State<AppState>,
    registrar: SignedIn,
    PendingFlash(flash): PendingFlash,
) -> Result<Response, AppError> {
    let page = page(&state, &registrar, Vec::new()).await?;
    render(StatusCode::OK, &page.with_flash(flash))
}

/// The page with `errors` shown (each a field's id and its message).
pub async fn page(
    state: &AppState,
    registrar: &SignedIn,
    errors: Vec<(&'static str, String)>,
) -> Result<OwnAccountPage, AppError> {
    let sessions = session::Entity::find()
        .filter(session::Column::RegistrarId.eq(registrar.id))
        .order_by_desc(session::Column::LastSeenAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| SessionRow::new(s, registrar.session_id()))
        .collect();
    let mut page = OwnAccountPage::new(registrar, sessions, errors);
    page.kept = crate::kept::pages::rows(state, registrar.id).await?;
    page.tokens = OwnTokens::load(&state.db, registrar, state.auth.tokens.max_days).await?;
    page.two_factor_on = crate::two_factor::store::is_on(&state.db, registrar.id).await?;
    if let Some(account) =
        super::find_by_username(&state.db, &registrar.username().to_lowercase()).await?
    {
        page.sign_in = super::sign_in_method::SignInMethod::of(&state.db, &state.auth, &account)
            .await?
            .describe();
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `POST /account/password`: the current password is checked under the
/// sign-in throttle (a stolen session is no password oracle); every other
/// session of the account ends, this one stays.
pub async fn change_password(
    State(state): State<AppState>,
    registrar: SignedIn,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let new_password = NewPassword::parse(&form.password)
        .map_err(|message| errors.push(("password", message)))
        .ok();
    if new_password.is_some() && form.password != form.password_confirm {
        errors.push(("password_confirm", "The passwords do not match".to_owned()));
    }

    let account = accounts::find_by_username(&state.db, &registrar.username().to_ascii_lowercase())
        .await?
        .ok_or(AppError::SignedOut)?;
    let client = throttle::client_address(&headers, peer, &state.auth);
    let guesser = Guesser::new(&account.username_key, &client);
    let check = match throttle::admit(&state.db, &state.auth.throttle, &guesser).await? {
        Ok(check) => check,
        Err(refusal) => {
            errors.insert(0, ("current_password", refusal.message()));
            let mut response = render(
                StatusCode::TOO_MANY_REQUESTS,
                &page(&state, &registrar, errors).await?,
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(refusal.retry_after()),
            );
            return Ok(response);
        }
    };
    let same_as_current = form.password == form.current_password;
    let current_matches =
        password::verify(form.current_password, Some(account.password_hash.clone())).await;
    check.finish(&state.db, current_matches).await?;
    if !current_matches {
        errors.insert(
            0,
            (
                "current_password",
                "Your current password is not right".to_owned(),
            ),
        );
    }
    if current_matches && new_password.is_some() && same_as_current {
        errors.push((
            "password",
            "Choose a new password: this is the one you have now".to_owned(),
        ));
    }
    let (Some(new_password), true) = (new_password, errors.is_empty()) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, &registrar, errors).await?,
        );
    };
    let hash = password::hash(&new_password)
        .await
        .map_err(|err| AppError::Internal(err.to_string()))?;
    let holder = Actor::Holder {
        id: registrar.id,
        username: registrar.username(),
    };
    store::change_own_password(&state.db, &holder, registrar.session_id(), hash).await?;
    tracing::info!(registrar = %registrar.username(), "password changed");
    Ok(see_other_with("/account", Flash::PasswordChanged))
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /account/sessions/{session}/end`: ends one of one's own sessions
/// (this one included: then it is signing out).
pub async fn end_session(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(public_id): Path<String>,
    headers: HeaderMap,
    Form(_): Form<EmptyForm>,
) -> Result<Response, AppError> {
    let mine = session::Entity::find()
        .filter(session::Column::RegistrarId.eq(registrar.id))
        .all(&state.db)
        .await?;
    let Some(found) = mine
        .into_iter()
        .find(|s| SessionRow::public_id(&s.token_hash) == public_id)
    else {
        return Err(AppError::NotFound);
    };
    let this_one = found.token_hash == registrar.session_id();
    let cause = if this_one {
        EndCause::SignedOut
    } else {
        EndCause::Elsewhere
    };
    sessions::end(&state.db, &found.token_hash, cause).await?;
    if this_one {
        let mut response = see_other("/login");
        sessions::signed_out(
            &mut response,
            &headers,
            &registrar,
            state.auth.secure_cookies,
        )?;
        return Ok(response);
    }
    Ok(see_other_with("/account", Flash::SessionEnded))
}

/// `POST /account/sessions/end-others`
pub async fn end_others(
    State(state): State<AppState>,
    registrar: SignedIn,
    Form(_): Form<EmptyForm>,
) -> Result<Response, AppError> {
    store::end_others(&state.db, registrar.id, registrar.session_id()).await?;
    Ok(see_other_with("/account", Flash::SessionEnded))
}
