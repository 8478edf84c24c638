//! `/login`, `/logout` and `/setup` (the second step of a sign-in is
//! [`crate::two_factor::sign_in`]'s).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use validator::Validate;

pub use super::next::safe_next;
use super::sessions::{self, MaybeSignedIn};
use super::throttle::PeerAddr;
use super::views::{LoginPage, SetupPage};
use super::{csrf, ended, password, throttle};
use crate::accounts::{self, CreateError};
use crate::db::entities::ended_session::EndCause;
use crate::domain::{NewPassword, Username};
use crate::error::AppError;
use crate::http::cookie;
use crate::http::form::Form;
use crate::http::query::QueryPairs;
use crate::http::redirect::see_other;
use crate::kept;
use crate::state::AppState;
use crate::two_factor;
use crate::views::{Layout, render};

/// The message for every failed sign-in: it never says which part was wrong.
const WRONG_CREDENTIALS: &str = "The username or password is not right.";

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `GET /login`
pub async fn login_form(
    State(state): State<AppState>,
    MaybeSignedIn(registrar): MaybeSignedIn,
    headers: HeaderMap,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let next = pairs.get("next").and_then(safe_next).unwrap_or_default();
    if registrar.is_some() {
        return Ok(see_other(destination(&next)));
    }
    // With the university sign-in, accounts come from it: the sign-in page
    // is shown even before any exists (`/setup` still works until then).
    if state.oidc.is_none() && !accounts::any_exist(&state.db).await? {
        return Ok(see_other("/setup"));
    }
    login_page(&state, &headers, StatusCode::OK, String::new(), next, None)
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    next: String,
    problem: Option<String>,
) -> Result<Response, AppError> {
    let university = crate::oidc::offer::on_login_page(state, &next);
    pre_session_page(state, headers, status, |token| LoginPage {
        layout: Layout::new("Sign in")
            .with_csrf_token(token)
            .with_errors(problem.is_some()),
        username,
        next,
        problem,
        university,
    })
}

/// The sign-in page again, with `problem` (a second step that expired,
/// or that this browser did not start).
pub fn login_again(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    problem: &str,
) -> Result<Response, AppError> {
    login_page(
        state,
        headers,
        status,
        String::new(),
        String::new(),
        Some(problem.to_owned()),
    )
}

/// Renders a page shown before signing in, with the pre-session CSRF
/// token its form carries (and the cookie that holds it, when new).
pub fn pre_session_page<P: askama::Template>(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    page: impl FnOnce(String) -> P,
) -> Result<Response, AppError> {
    let (token, cookie) = csrf::pre_session(headers);
    let mut response = render(status, &page(token))?;
    if let Some(cookie) = cookie {
        cookie.append_to(response.headers_mut(), state.auth.secure_cookies)?;
    }
    Ok(response)
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    MaybeSignedIn(previous): MaybeSignedIn,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(&form.next).unwrap_or_default();
    let username = Username::parse(&form.username).ok();
    // What failures are counted under: the account's key, or for input that
    // cannot be a username, the same text without control characters.
    let username_key = username.as_ref().map_or_else(
        || {
            form.username
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(Username::MAX_CHARS)
                .collect::<String>()
                .to_lowercase()
        },
        Username::key,
    );
    let client = throttle::client_address(&headers, peer, &state.auth);
    let guesser = throttle::Guesser::new(&username_key, &client);

    let check = match throttle::admit(&state.db, &state.auth.throttle, &guesser).await? {
        Ok(check) => check,
        Err(refusal) => {
            crate::metrics::record_sign_in_throttled();
            let mut response = login_page(
                &state,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                form.username,
                next,
                Some(refusal.message()),
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(refusal.retry_after()),
            );
            return Ok(response);
        }
    };

    let account = match &username {
        Some(username) => accounts::find_by_username(&state.db, &username.key()).await?,
        None => None,
    };
    // An account without a password (made at a university sign-in), or
    // one whose password may not sign in (`--password-sign-in off`), is
    // checked as an unknown one: the same work, the same answer.
    let hash = account
        .as_ref()
        .filter(|a| accounts::provider::has_password(&a.password_hash))
        .filter(|a| state.auth.password_allowed_for(&a.username_key))
        .map(|a| a.password_hash.clone());
    let password_matches = password::verify(form.password, hash).await;
    let account = account.filter(|a| password_matches && a.disabled_at.is_none());
    check.finish(&state.db, account.is_some()).await?;
    let Some(account) = account else {
        tracing::info!(client = %client, "sign-in failed");
        crate::metrics::record_sign_in_failure();
        return login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            form.username,
            next,
            Some(WRONG_CREDENTIALS.to_owned()),
        );
    };

    // An account with a second factor signs in only once it is given
    // (contract §14): no session yet, a step bound to this browser.
    if two_factor::store::is_on(&state.db, account.id).await? {
        let step = two_factor::pending::start(&state.db, account.id, &next).await?;
        let mut response = see_other("/login/two-factor");
        step.append_to(response.headers_mut(), state.auth.secure_cookies)?;
        tracing::info!(registrar = %account.username, "password right; second factor asked");
        return Ok(response);
    }
    complete(&state, &headers, client, previous, &account, &next).await
}

/// The sign-in of `account` done (its password right, and its second
/// factor when it has one): the previous session of this browser ended,
/// a new one started, `303` to where it goes first.
pub async fn complete(
    state: &AppState,
    headers: &HeaderMap,
    client: String,
    previous: Option<sessions::SignedIn>,
    account: &accounts::Account,
    next: &str,
) -> Result<Response, AppError> {
    if let Some(previous) = previous {
        sessions::end_for(&state.db, &previous, EndCause::SignedInAgain).await?;
    }
    let origin = sessions::Origin::new(client, headers);
    let token = sessions::start(&state.db, account.id, &state.auth, &origin).await?;
    crate::accounts::store::signed_in(&state.db, account.id).await?;
    tracing::info!(registrar = %account.username, "signed in");
    // An account whose password an admin set chooses its own first; one
    // the office requires a second factor of sets it up; one with a form
    // kept when its session ended lands on it.
    let location = if account.must_change_password {
        "/account".to_owned()
    } else if state.auth.require_two_factor
        && !two_factor::store::is_on(&state.db, account.id).await?
    {
        "/account/two-factor".to_owned()
    } else {
        match kept::landing::landing(&state.db, account.id, next).await? {
            Some(landing) => landing,
            None => destination(next).to_owned(),
        }
    };
    signed_in(&token, state, headers, &location)
}

/// `303` to `location` with the new session's cookie.
pub fn signed_in(
    token: &str,
    state: &AppState,
    headers: &HeaderMap,
    location: &str,
) -> Result<Response, AppError> {
    let mut response = see_other(location);
    let secure = state.auth.secure_cookies;
    sessions::cookie(token, &state.auth).append_to(response.headers_mut(), secure)?;
    csrf::pre_session_removal().append_to(response.headers_mut(), secure)?;
    // A sign-out's cookie has done its part: a form of the ended session
    // posted from now on goes with this session's cookie (see `kept`).
    if cookie::read(headers, ended::COOKIE).is_some() {
        ended::removal().append_to(response.headers_mut(), secure)?;
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /logout`
pub async fn logout(
    State(state): State<AppState>,
    MaybeSignedIn(registrar): MaybeSignedIn,
    headers: HeaderMap,
    Form(_): Form<EmptyForm>,
) -> Result<Response, AppError> {
    let mut response = see_other("/login");
    let secure = state.auth.secure_cookies;
    let Some(registrar) = registrar else {
        sessions::removal().append_to(response.headers_mut(), secure)?;
        return Ok(response);
    };
    let at_provider = sessions::began_at_provider(&state.db, &registrar).await?;
    sessions::end_for(&state.db, &registrar, EndCause::SignedOut).await?;
    if let Some(url) = crate::oidc::logout::provider_logout(&state, at_provider) {
        response = see_other(&url);
    }
    // Nobody is told any more that this registrar has a form open.
    if let Err(err) = crate::presence::store::clear_all_for(&state.db, registrar.id).await {
        tracing::warn!(error = %err, "could not clear presence marks");
    }
    tracing::info!(registrar = %registrar.username(), "signed out");
    sessions::signed_out(&mut response, &headers, &registrar, secure)?;
    Ok(response)
}

#[derive(Debug, Deserialize, Validate)]
pub struct SetupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    #[validate(must_match(other = "password", message = "The passwords do not match"))]
    password_confirm: String,
}

/// `GET /setup`: only while no account exists.
pub async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if accounts::any_exist(&state.db).await? {
        return Err(AppError::NotFound);
    }
    setup_page(&state, &headers, StatusCode::OK, String::new(), Vec::new())
}

fn setup_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    pre_session_page(state, headers, status, |token| SetupPage {
        layout: Layout::new("Set up registrar")
            .with_csrf_token(token)
            .with_errors(!errors.is_empty()),
        username,
        errors,
    })
}

/// `POST /setup`: creates the first account and signs it in.
pub async fn setup(
    State(state): State<AppState>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    if accounts::any_exist(&state.db).await? {
        return Err(AppError::NotFound);
    }
    let username = Username::parse_new(&form.username);
    let password = NewPassword::parse(&form.password);
    let mut errors = Vec::new();
    if let Err(message) = &username {
        errors.push(("username", message.clone()));
    }
    if let Err(message) = &password {
        errors.push(("password", message.clone()));
    } else if let Err(failed) = form.validate() {
        // The one rule the form type states itself: the two passwords match.
        let messages = failed.field_errors().into_values().flatten();
        errors.extend(messages.map(|e| {
            let message = e.message.as_deref().unwrap_or("The passwords do not match");
            ("password_confirm", message.to_owned())
        }));
    }
    let (Ok(username), Ok(password), true) = (username, password, errors.is_empty()) else {
        return setup_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            form.username,
            errors,
        );
    };

    let hash = password::hash(&password)
        .await
        .map_err(|err| AppError::Internal(err.to_string()))?;
    let account = match accounts::create_first(&state.db, &username, hash).await {
        Ok(Some(account)) => account,
        Ok(None) => return Err(AppError::NotFound),
        Err(CreateError::UsernameTaken) => return Err(AppError::NotFound),
        Err(CreateError::Refused(err)) => return Err(err.into()),
        Err(CreateError::Database(err)) => return Err(err.into()),
    };
    let origin = sessions::Origin::new(
        throttle::client_address(&headers, peer, &state.auth),
        &headers,
    );
    let token = sessions::start(&state.db, account.id, &state.auth, &origin).await?;
    crate::accounts::store::signed_in(&state.db, account.id).await?;
    tracing::info!(registrar = %account.username, "first registrar account created");
    signed_in(&token, &state, &headers, "/students")
}

/// Where to go after signing in.
pub fn destination(next: &str) -> &str {
    if next.is_empty() { "/students" } else { next }
}
