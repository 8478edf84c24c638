//! `/account/two-factor…`: an account turns its second factor on (and
//! sees its recovery codes once) or off; `POST
//! /accounts/{username}/two-factor/reset`: an admin resets it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::store::{self, Accepted};
use super::totp::{SharedSecret, unix_now};
use super::views::{SetupPage, SetupState};
use crate::accounts::changes::Actor;
use crate::accounts::{self, Account};
use crate::auth::throttle::{self, Guesser, PeerAddr};
use crate::auth::{SignedIn, password};
use crate::error::AppError;
use crate::http::form::Form;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::views::{Instant, Layout, render};

const WRONG_CODE: &str = "That code is not right. Type the six digits the app shows now.";

/// `GET /account/two-factor`
pub async fn show(
    State(state): State<AppState>,
    registrar: SignedIn,
) -> Result<Response, AppError> {
    let page = match store::find(&state.db, registrar.id).await? {
        None => off_page(&state, &registrar, &SharedSecret::generate(), Vec::new())?,
        Some(on) => {
            // The first look after turning it on shows the recovery codes,
            // made now and never shown again.
            let state_shown = match store::issue_recovery_codes(&state.db, registrar.id).await? {
                Some(codes) => SetupState::Codes(codes),
                None => SetupState::On {
                    since: Instant::from(on.enabled_at),
                    unused: store::unused_recovery_codes(&state.db, registrar.id).await?,
                },
            };
            page(&state, &registrar, state_shown, Vec::new())
        }
    };
    render(StatusCode::OK, &page)
}

fn page(
    state: &AppState,
    registrar: &SignedIn,
    shown: SetupState,
    errors: Vec<(&'static str, String)>,
) -> SetupPage {
    SetupPage {
        layout: Layout::new("Two-factor sign-in")
            .with_registrar(registrar)
            .with_errors(!errors.is_empty()),
        username: registrar.username().to_owned(),
        required: state.auth.require_two_factor && matches!(shown, SetupState::Off { .. }),
        state: shown,
        errors,
    }
}

fn off_page(
    state: &AppState,
    registrar: &SignedIn,
    secret: &SharedSecret,
    errors: Vec<(&'static str, String)>,
) -> Result<SetupPage, AppError> {
    let username = registrar.username();
    let (Some(uri), Some(qr_svg)) = (secret.uri(username), secret.qr_svg(username)) else {
        return Err(AppError::Internal(
            "the enrolment URI could not be made".to_owned(),
        ));
    };
    let shown = SetupState::Off {
        secret: secret.as_str().to_owned(),
        grouped: secret.grouped(),
        uri,
        qr_svg,
    };
    Ok(page(state, registrar, shown, errors))
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

/// `POST /account/two-factor`: the code of the secret the page showed
/// turns it on (`303`); a wrong one is a `422` with the same secret.
pub async fn confirm(
    State(state): State<AppState>,
    registrar: SignedIn,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let Some(secret) = SharedSecret::parse(&form.secret) else {
        return Err(AppError::BadRequest(
            "The form's key is not one this page made.",
        ));
    };
    if store::is_on(&state.db, registrar.id).await? {
        return Ok(see_other("/account/two-factor"));
    }
    let Some(step) = secret.step_of(&form.code, unix_now()) else {
        let errors = vec![("code", WRONG_CODE.to_owned())];
        let page = off_page(&state, &registrar, &secret, errors)?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let holder = Actor::Holder {
        id: registrar.id,
        username: registrar.username(),
    };
    store::turn_on(&state.db, &holder, registrar.id, &secret, step).await?;
    tracing::info!(registrar = %registrar.username(), "two-factor sign-in turned on");
    Ok(see_other("/account/two-factor"))
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// `POST /account/two-factor/disable`: the password and a code (or a
/// recovery code), both right, turn it off; checked under the sign-in
/// throttle, as a sign-in would be.
pub async fn disable(
    State(state): State<AppState>,
    registrar: SignedIn,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    Form(form): Form<DisableForm>,
) -> Result<Response, AppError> {
    let Some(on) = store::find(&state.db, registrar.id).await? else {
        return Ok(see_other("/account/two-factor"));
    };
    let account = holder_account(&state, &registrar).await?;
    let client = throttle::client_address(&headers, peer, &state.auth);
    let guesser = Guesser::new(&account.username_key, &client);
    let on_page = |errors| {
        let shown = SetupState::On {
            since: Instant::from(on.enabled_at),
            unused: 0,
        };
        page(&state, &registrar, shown, errors)
    };
    let check = match throttle::admit(&state.db, &state.auth.throttle, &guesser).await? {
        Ok(check) => check,
        Err(refusal) => {
            let mut response = render(
                StatusCode::TOO_MANY_REQUESTS,
                &on_page(vec![("password", refusal.message())]),
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(refusal.retry_after()),
            );
            return Ok(response);
        }
    };
    let password_right = password::verify(form.password, Some(account.password_hash)).await;
    // The code is used up only when the password was right.
    let code_right = password_right
        && store::accept(&state.db, registrar.id, &form.code, unix_now())
            .await?
            .is_some();
    check
        .finish(&state.db, password_right && code_right)
        .await?;
    let mut errors = Vec::new();
    if !password_right {
        errors.push(("password", "Your password is not right".to_owned()));
    } else if !code_right {
        errors.push(("code", WRONG_CODE.to_owned()));
    }
    if !errors.is_empty() {
        let mut page = on_page(errors);
        if let SetupState::On { unused, .. } = &mut page.state {
            *unused = store::unused_recovery_codes(&state.db, registrar.id).await?;
        }
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let holder = Actor::Holder {
        id: registrar.id,
        username: registrar.username(),
    };
    store::turn_off(&state.db, &holder, registrar.id).await?;
    tracing::info!(registrar = %registrar.username(), "two-factor sign-in turned off");
    Ok(see_other("/account/two-factor"))
}

async fn holder_account(state: &AppState, registrar: &SignedIn) -> Result<Account, AppError> {
    accounts::find_by_username(&state.db, &registrar.username().to_ascii_lowercase())
        .await?
        .ok_or(AppError::SignedOut)
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {}

/// `POST /accounts/{username}/two-factor/reset`: an admin turns an
/// account's second factor off (a lost phone); recorded in its changes.
pub async fn reset(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(username): Path<String>,
    Form(_): Form<ResetForm>,
) -> Result<Response, AppError> {
    let account = accounts::named_in_path(&state.db, &username).await?;
    let admin = Actor::Admin {
        id: registrar.id,
        username: registrar.username(),
    };
    store::turn_off(&state.db, &admin, account.id).await?;
    tracing::info!(admin = %registrar.username(), account = %account.username, "two-factor sign-in reset");
    Ok(see_other(&accounts::path(&account.username)))
}

/// Whether `accepted` came from a recovery code (for the log).
pub fn describe(accepted: Accepted) -> &'static str {
    match accepted {
        Accepted::Code => "code",
        Accepted::RecoveryCode => "recovery code",
    }
}
