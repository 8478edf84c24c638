//! `/login/two-factor`: the second step of a password sign-in. The step
//! is this browser's ([`super::pending`]); every wrong code counts against
//! the sign-in throttle, as a wrong password does; a code is accepted
//! once ([`super::store::accept`]).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::enrol::describe;
use super::pending;
use super::store;
use super::totp::unix_now;
use super::views::SecondStepPage;
use crate::auth::MaybeSignedIn;
use crate::auth::handlers::{complete, login_again, pre_session_page};
use crate::auth::throttle::{self, Guesser, PeerAddr};
use crate::db::entities::registrar;
use crate::error::AppError;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::views::Layout;
use sea_orm::EntityTrait;

/// Why the step cannot go on: it is over (five minutes), or another
/// browser started it.
const NO_STEP: &str = "The second step of signing in has ended: it lasts five minutes, \
                       in the browser where the password was typed. Sign in again.";

const WRONG_CODE: &str = "That code is not right, or was used already. \
                          Type the six digits your app shows now, or an unused recovery code.";

/// `GET /login/two-factor`: the code's form while this browser has a
/// step; otherwise there is nothing to do here but sign in (`303`).
pub async fn form(
    State(state): State<AppState>,
    MaybeSignedIn(registrar): MaybeSignedIn,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if pending::find(&state.db, &headers).await?.is_none() {
        let to = if registrar.is_some() {
            "/students"
        } else {
            "/login"
        };
        let mut response = see_other(to);
        pending::removal().append_to(response.headers_mut(), state.auth.secure_cookies)?;
        return Ok(response);
    }
    step_page(&state, &headers, StatusCode::OK, None)
}

fn step_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    problem: Option<String>,
) -> Result<Response, AppError> {
    pre_session_page(state, headers, status, |token| SecondStepPage {
        layout: Layout::new("Sign in: your code")
            .with_csrf_token(token)
            .with_errors(problem.is_some()),
        problem,
    })
}

/// A code posted without a live step in this browser (it expired, or
/// another browser started it): `410`, the sign-in page again, the step's
/// cookie removed; nobody is signed in.
fn gone(state: &AppState, headers: &HeaderMap) -> Result<Response, AppError> {
    let mut response = login_again(state, headers, StatusCode::GONE, NO_STEP)?;
    pending::removal().append_to(response.headers_mut(), state.auth.secure_cookies)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /login/two-factor`: a right code signs in (`303` to `next`); a
/// wrong one is a `422`, counted; throttled, a `429`.
pub async fn submit(
    State(state): State<AppState>,
    MaybeSignedIn(previous): MaybeSignedIn,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    crate::http::form::Form(form): crate::http::form::Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(step) = pending::find(&state.db, &headers).await? else {
        return gone(&state, &headers);
    };
    let account = registrar::Entity::find_by_id(step.registrar_id)
        .one(&state.db)
        .await?
        .filter(|a| a.disabled_at.is_none());
    let Some(account) = account else {
        pending::finish(&state.db, &step).await?;
        return gone(&state, &headers);
    };
    let client = throttle::client_address(&headers, peer, &state.auth);
    let guesser = Guesser::new(&account.username_key, &client);
    let check = match throttle::admit(&state.db, &state.auth.throttle, &guesser).await? {
        Ok(check) => check,
        Err(refusal) => {
            crate::metrics::record_sign_in_throttled();
            let mut response = step_page(
                &state,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                Some(refusal.message()),
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(refusal.retry_after()),
            );
            return Ok(response);
        }
    };
    let accepted = store::accept(&state.db, account.id, &form.code, unix_now()).await?;
    check.finish(&state.db, accepted.is_some()).await?;
    let Some(accepted) = accepted else {
        tracing::info!(client = %client, "second factor wrong");
        crate::metrics::record_sign_in_failure();
        return step_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(WRONG_CODE.to_owned()),
        );
    };
    // Two right codes at once (a code and a recovery code): one signs in.
    if !pending::finish(&state.db, &step).await? {
        return gone(&state, &headers);
    }
    tracing::info!(registrar = %account.username, by = describe(accepted), "second factor right");
    let mut response = complete(&state, &headers, client, previous, &account, &step.next).await?;
    pending::removal().append_to(response.headers_mut(), state.auth.secure_cookies)?;
    Ok(response)
}
