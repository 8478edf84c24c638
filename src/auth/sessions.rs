//! Sessions in the database, so any app instance can serve any signed-in
//! registrar: the cookie carries a random token, the table its digest.

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::ended::{self, Ending};
pub use super::origin::Origin;
use super::policy::AuthPolicy;
use super::tokens::{digest, random_token};
use crate::cluster::retry;
use crate::db::entities::ended_session::EndCause;
use crate::db::entities::{registrar, session};
use crate::db::{begin_write, now};
use crate::domain::Role;
use crate::error::{AppError, ErrorPage};
use crate::http::cookie::{self, SetCookie};
use crate::http::redirect::see_other;
use crate::layout::Layout;
use crate::state::AppState;
use crate::zone::Zone;

pub const COOKIE: &str = "registrar_session";

/// How stale `last_seen_at` may get before a request refreshes it: bounds
/// the writes an active session causes.
const TOUCH_AFTER: chrono::Duration = chrono::Duration::minutes(1);

/// The signed-in account making the request (of any role: a viewer too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub id: i64,
    username: String,
    role: Role,
    must_change_password: bool,
    /// `--require-two-factor`, and the account has no second factor yet.
    must_set_up_two_factor: bool,
    csrf_token: String,
    token_hash: String,
    /// The office's time zone, in which this account's pages show times:
    /// the server's (`--time-zone`), set by [`load`].
    zone: Zone,
}

/// The header of every page names the signed-in registrar and carries the
/// session's form token (for "Sign out").
impl Layout {
    pub fn with_registrar(mut self, registrar: &SignedIn) -> Self {
        self.registrar = Some(registrar.username().to_owned());
        self.role = Some(registrar.role());
        self.csrf_token = registrar.csrf_token().to_owned();
        self.zone = registrar.zone;
        self
    }
}

impl SignedIn {
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The account's role when the request began (writes check it again).
    pub fn role(&self) -> Role {
        self.role
    }

    /// What this account may see of confidential students.
    pub fn disclosure(&self) -> crate::domain::Disclosure {
        crate::domain::Disclosure::of(self.role)
    }

    /// The account must choose a new password before anything else.
    pub fn must_change_password(&self) -> bool {
        self.must_change_password
    }

    /// The account must set up its second factor before anything else.
    pub fn must_set_up_two_factor(&self) -> bool {
        self.must_set_up_two_factor
    }

    /// The digest that names this session in the database.
    pub fn session_id(&self) -> &str {
        &self.token_hash
    }

    /// The token every form of this session must send back.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// The same account, reading pages in `zone`.
    pub fn in_zone(self, zone: Zone) -> Self {
        SignedIn { zone, ..self }
    }
}

/// Starts a session for the account; returns the cookie's token.
pub async fn start(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    policy: &AuthPolicy,
    origin: &Origin,
) -> Result<String, DbErr> {
    let token = random_token();
    let at = now();
    let csrf_token = random_token();
    retry::write("session start", || {
        session::Entity::insert(session::ActiveModel {
            token_hash: sea_orm::ActiveValue::Set(digest(&token)),
            registrar_id: sea_orm::ActiveValue::Set(registrar_id),
            csrf_token: sea_orm::ActiveValue::Set(csrf_token.clone()),
            created_at: sea_orm::ActiveValue::Set(at),
            last_seen_at: sea_orm::ActiveValue::Set(at),
            expires_at: sea_orm::ActiveValue::Set(at + policy.session_lifetime),
            client_addr: sea_orm::ActiveValue::Set(Some(origin.client_addr.clone())),
            user_agent: sea_orm::ActiveValue::Set(Some(origin.user_agent.clone())),
            began_at_provider: sea_orm::ActiveValue::Set(origin.began_at_provider),
        })
        .exec_without_returning(db)
    })
    .await?;
    Ok(token)
}

/// What a request's check reads of its session (its form token, when it
/// was last seen, when it expires, whether it began at the university's
/// provider) and of the session's account (id, username, role, whether
/// its password must change, when it was disabled): only what the check
/// uses, read by position.
type Check = (
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    bool,
    i64,
    String,
    Role,
    bool,
    Option<DateTime<Utc>>,
);

/// The registrar whose live session `token` names, if any. Expired
/// sessions and those of disabled accounts are ended on sight.
pub async fn find(
    db: &DatabaseConnection,
    token: &str,
    policy: &AuthPolicy,
) -> Result<Option<SignedIn>, DbErr> {
    let token_hash = digest(token);
    let found: Option<Check> = session::Entity::find_by_id(token_hash.clone())
        .select_only()
        .columns([
            session::Column::CsrfToken,
            session::Column::LastSeenAt,
            session::Column::ExpiresAt,
            session::Column::BeganAtProvider,
        ])
        .inner_join(registrar::Entity)
        .columns([
            registrar::Column::Id,
            registrar::Column::Username,
            registrar::Column::Role,
            registrar::Column::MustChangePassword,
            registrar::Column::DisabledAt,
        ])
        .into_tuple()
        .one(db)
        .await?;
    let Some((
        csrf_token,
        last_seen_at,
        expires_at,
        began_at_provider,
        id,
        username,
        role,
        must_change_password,
        disabled_at,
    )) = found
    else {
        return Ok(None);
    };
    let at = now();
    let live = disabled_at.is_none() && at < expires_at && at - last_seen_at < policy.session_idle;
    if !live {
        // Remembered as ended when it reached its limit; a disabled
        // account's sessions end when it is disabled, so this is the rare
        // one that began in the same instant.
        let ending = if disabled_at.is_some() {
            Ending::new(at, EndCause::Admin)
        } else {
            Ending::at_limits(last_seen_at, expires_at, policy.session_idle)
        };
        end_as(db, &token_hash, ending).await?;
        return Ok(None);
    }
    if at - last_seen_at > TOUCH_AFTER {
        retry::write("session touch", || {
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(at))
                .filter(session::Column::TokenHash.eq(token_hash.as_str()))
                .exec(db)
        })
        .await?;
    }
    // A second factor is for password sign-ins: a session that began at
    // the university's provider took the provider's own factors.
    let must_set_up_two_factor = policy.require_two_factor
        && !began_at_provider
        && !crate::two_factor::store::is_on(db, id).await?;
    Ok(Some(SignedIn {
        id,
        username,
        role,
        must_change_password,
        must_set_up_two_factor,
        csrf_token,
        token_hash,
        // The server's zone is the request's to give (see [`load`]).
        zone: Zone::UTC,
    }))
}

/// Ends the session whose token digest is `token_hash`, now, for `cause`
/// (remembered as ended for a day: [`super::ended`]).
pub async fn end(db: &DatabaseConnection, token_hash: &str, cause: EndCause) -> Result<(), DbErr> {
    end_as(db, token_hash, Ending::new(now(), cause)).await
}

async fn end_as(db: &DatabaseConnection, token_hash: &str, ending: Ending) -> Result<(), DbErr> {
    retry::write("session end", || async move {
        let txn = begin_write(db).await?;
        let found = session::Entity::find_by_id(token_hash.to_owned())
            .lock_exclusive()
            .all(&txn)
            .await?;
        ended::retire(&txn, &found, |_| ending).await?;
        txn.commit().await
    })
    .await
}

/// Ends the session of this request's registrar, for `cause`.
/// Whether `registrar`'s session began at the identity provider.
pub async fn began_at_provider(
    db: &DatabaseConnection,
    registrar: &SignedIn,
) -> Result<bool, DbErr> {
    Ok(session::Entity::find_by_id(registrar.token_hash.clone())
        .one(db)
        .await?
        .is_some_and(|s| s.began_at_provider))
}

pub async fn end_for(
    db: &DatabaseConnection,
    registrar: &SignedIn,
    cause: EndCause,
) -> Result<(), DbErr> {
    end(db, &registrar.token_hash, cause).await
}

/// The cookie of a new session. The browser keeps it a day past the
/// session's absolute limit, so that a form posted after the session
/// expired is still recognised as its account's (contract §12); the
/// server alone decides whether the session lives.
pub fn cookie(token: &str, policy: &AuthPolicy) -> SetCookie {
    SetCookie::new(COOKIE, token)
        .max_age((policy.session_lifetime + ended::REMEMBERED).num_seconds())
}

/// After this request's registrar signed out (`end_for` with
/// [`EndCause::SignedOut`]): the session cookie removed from `response`,
/// and the sign-out's [`ended::COOKIE`] set in its place.
pub fn signed_out(
    response: &mut Response,
    headers: &HeaderMap,
    registrar: &SignedIn,
    secure: bool,
) -> Result<(), crate::http::cookie::CookieError> {
    removal().append_to(response.headers_mut(), secure)?;
    if let Some(token) = token_from(headers).filter(|t| digest(t) == registrar.token_hash) {
        ended::cookie(token).append_to(response.headers_mut(), secure)?;
    }
    Ok(())
}

/// The cookie that removes the session cookie.
pub fn removal() -> SetCookie {
    SetCookie::removal(COOKIE)
}

pub fn token_from(headers: &HeaderMap) -> Option<&str> {
    cookie::read(headers, COOKIE).filter(|t| !t.is_empty() && t.len() <= 64)
}

/// Middleware, inside [`load`]: an error page answered to a signed-in
/// request shows the header every page shows (who is signed in, the
/// navigation its role may use), so a `403`, `404` or `400` is not a dead
/// end. The answer's status and headers are kept.
pub async fn navigable_errors(request: Request, next: Next) -> Response {
    let signed_in = request.extensions().get::<SignedIn>().cloned();
    let response = next.run(request).await;
    let Some(signed_in) = signed_in else {
        return response;
    };
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    if !page.navigable {
        return response;
    }
    let page = ErrorPage {
        layout: page.layout.with_registrar(&signed_in),
        ..page
    };
    let Ok(html) = page.render() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

/// Middleware: finds the request's session and makes its [`SignedIn`]
/// available to handlers and extractors.
pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(token) = token_from(request.headers()) {
        match find(&state.db, token, &state.auth).await {
            Ok(Some(registrar)) => {
                request
                    .extensions_mut()
                    .insert(registrar.in_zone(state.zone));
            }
            Ok(None) => {}
            Err(err) => return AppError::from(err).into_response(),
        }
    }
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .ok_or_else(|| see_other("/login"))
    }
}

/// The signed-in registrar, if any (for pages anyone may see).
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeSignedIn(parts.extensions.get::<SignedIn>().cloned()))
    }
}
