//! The layer around the record form routes (create, edit, delete, restore,
//! undelete: [`super::form::of_route`]), between reading the session and
//! checking the role, that makes a session ending mid-edit lose nothing
//! (contract §12):
//!
//! - No live session, but the cookie names a session that ended within a
//!   day (the session cookie, or the one a sign-out leaves:
//!   [`ended::COOKIE`]) and the form carries that session's form token: the form is not
//!   applied. If its account may still change records, what it carried is
//!   kept for that account, and the answer is `303` to sign in, then to
//!   the kept form. If it may not (disabled, no longer a registrar), the
//!   answer is the `403` of §9, showing what was typed; nothing is kept.
//!   Any other cookie or token goes on to the guard (`303` to sign in, as
//!   §4 says): nothing is read, nothing kept.
//! - A live session, and the form carries the token of another session
//!   of the same account that ended within a day (a second tab of a
//!   browser that has signed in again since): kept, and `303` straight to
//!   it, where §4 would refuse it `403` and lose it.
//! - A live session refused `403` because its account may no longer
//!   write (a demotion, a disable in between): the page shows what was
//!   typed.
//! - A record form offered back from a kept one (its hidden `kept`)
//!   answered for good (`303` saved; `409`, `410` refused with the page
//!   that shows it): the kept form is forgotten.

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::form::{Carried, FormAction, kept_id};
use super::{landing, store};
use crate::auth::sessions::{self, SignedIn};
use crate::auth::tokens::{constant_time_eq, digest};
use crate::auth::{csrf, ended};
use crate::db::entities::registrar;
use crate::db::now;
use crate::error::{AppError, ErrorPage, TypedValue};
use crate::http::form::{MAX_FORM_BYTES, decode_pairs, is_urlencoded};
use crate::http::path::StudentId;
use crate::http::redirect::see_other;
use crate::state::AppState;
use sea_orm::EntityTrait;

/// The layer's state: the application's, and which record form the
/// route takes.
#[derive(Clone)]
pub struct RecordForm {
    pub state: AppState,
    pub action: FormAction,
}

/// Middleware: see the module's documentation.
pub async fn intercept(State(form): State<RecordForm>, request: Request, next: Next) -> Response {
    let answer = match request.extensions().get::<SignedIn>().cloned() {
        None => from_ended_session(&form, request, next).await,
        Some(signed_in) => from_live_session(&form, signed_in, request, next).await,
    };
    answer.unwrap_or_else(IntoResponse::into_response)
}

async fn from_ended_session(
    form: &RecordForm,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let db = &form.state.db;
    let at = now();
    let mut ended = None;
    for token in ended::tokens_from(request.headers(), sessions::COOKIE) {
        ended = ended::find(db, &digest(token), at).await?;
        if ended.is_some() {
            break;
        }
    }
    let Some(ended) = ended else {
        return Ok(next.run(request).await);
    };
    let (request, pairs) = read_form(request).await?;
    let Some(pairs) = pairs.filter(|pairs| ended::carried_its_token(&ended, token_sent(pairs)))
    else {
        return Ok(next.run(request).await);
    };
    let carried = Carried::read(form.action, student_id(&request), &pairs);
    match registrar::Entity::find_by_id(ended.registrar_id)
        .one(db)
        .await?
    {
        Some(account) if account.disabled_at.is_none() => {
            if !account.role.may_change_records() {
                return Ok(refused(AppError::NotAllowed(account.role), &carried));
            }
        }
        _ => return Ok(refused(AppError::SignedOut, &carried)),
    }
    if !carried.is_whole() {
        return Ok(next.run(request).await);
    }
    let kept = store::keep(db, ended.registrar_id, &carried, ended.cause, at).await?;
    tracing::info!(
        kept,
        "a form posted after its session ended was kept for its account"
    );
    Ok(see_other(&format!("/login?next={}", landing::path(kept))))
}

async fn from_live_session(
    form: &RecordForm,
    signed_in: SignedIn,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let db = &form.state.db;
    let (request, pairs) = read_form(request).await?;
    let Some(pairs) = pairs else {
        return Ok(next.run(request).await);
    };
    let carried = Carried::read(form.action, student_id(&request), &pairs);
    let sent = token_sent(&pairs);
    let may_keep = signed_in.role().may_change_records()
        && !signed_in.must_change_password()
        && carried.is_whole();
    if may_keep && !sent.is_empty() && !constant_time_eq(sent, signed_in.csrf_token()) {
        let at = now();
        if let Some(ended) = ended::by_form_token(db, signed_in.id, sent, at).await? {
            let kept = store::keep(db, signed_in.id, &carried, ended.cause, at).await?;
            return Ok(see_other(&landing::path(kept)));
        }
    }
    let offered_back = kept_id(&pairs);
    let response = next.run(request).await;
    if let Some(kept) = offered_back
        && matches!(
            response.status(),
            StatusCode::SEE_OTHER | StatusCode::CONFLICT | StatusCode::GONE
        )
        && let Err(err) = store::discard(db, kept, signed_in.id).await
    {
        tracing::warn!(error = %err, "a kept form could not be forgotten");
    }
    Ok(with_typed(response, carried.typed()))
}

/// The `403` of `error` showing what `carried`.
pub fn refused(error: AppError, carried: &Carried) -> Response {
    with_typed(error.into_response(), carried.typed())
}

/// `response` again, showing `typed`, when it is the error page of a
/// refused writer; any other response as it was.
fn with_typed(response: Response, typed: Vec<TypedValue>) -> Response {
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    if !page.writer_refused || typed.is_empty() {
        return response;
    }
    let page = page.with_typed(typed);
    let Ok(html) = page.render() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    // The layer outside, which adds the signed-in header, renders this one.
    parts.extensions.insert(page);
    Response::from_parts(parts, Body::from(html))
}

/// The form token the form sent (empty when none).
fn token_sent(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(key, _)| key == csrf::FIELD)
        .map_or("", |(_, value)| value.as_str())
}

/// The student the route is about (`/students/{id}…`).
fn student_id(request: &Request) -> Option<i64> {
    let segment = request.uri().path().split('/').nth(2)?;
    StudentId::parse(segment).map(|id| id.0)
}

/// The request's form, read (the request rebuilt with the same body for
/// the handler), or `None` when it is no form registrar would read: not
/// form-encoded, or not UTF-8 (the handler refuses it as it would).
async fn read_form(request: Request) -> Result<(Request, Option<Vec<(String, String)>>), AppError> {
    if !is_urlencoded(request.headers()) {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let mut bytes = Vec::new();
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk
            .map_err(|_| AppError::BadRequest("The form could not be read. Nothing was saved."))?;
        if bytes.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    let pairs = decode_pairs(&bytes).ok();
    Ok((Request::from_parts(parts, Body::from(bytes)), pairs))
}
