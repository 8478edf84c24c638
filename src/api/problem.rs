//! The API's one error type, [`ApiError`], and the one way it is answered:
//! an RFC 9457 problem (`application/problem+json`) with `type`, `title`,
//! `status` and `detail`, plus `errors` (field → message) on a `422`.
//! Internal details are logged, never sent.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::domain::Role;

/// The media type of every API error.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem (`urn:registrar:problem:…`);
    /// test on this, not on the wording.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// On a `422`: each refused member and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, String>>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:registrar:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
        }
    }
}

/// Answers `body` (a problem, or one with more members) as
/// `application/problem+json` with `status`.
pub fn respond<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
        bytes,
    )
        .into_response()
}

/// Why an API request was not served.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No usable bearer token (missing, unknown, expired, revoked, or the
    /// account disabled).
    #[error("no valid bearer token")]
    Unauthorized,
    /// The caller's role (capped by the token's) does not allow this.
    #[error("not allowed for the {0} role")]
    NotAllowed(Role),
    #[error("not found")]
    NotFound,
    /// A change feed cursor the feed no longer holds (another epoch, or a
    /// database restored from before it): why.
    #[error("the cursor is gone: {0}")]
    CursorGone(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request cannot be read (bad JSON, a bad header or query).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported content type")]
    UnsupportedMediaType,
    /// Members refused, each with why.
    #[error("invalid members")]
    Invalid(BTreeMap<String, String>),
    /// A write without `If-Match`.
    #[error("If-Match is required")]
    PreconditionRequired,
    /// The same `Idempotency-Key` is being answered by a request still in
    /// flight.
    #[error("a request with this idempotency key is in flight")]
    InFlight,
    /// The `Idempotency-Key` went with a different request.
    #[error("idempotency key reused with a different request")]
    KeyReused,
    /// The connection was lost while the write was committing, and the
    /// database could not be asked in time whether it did.
    #[error("outcome unknown")]
    OutcomeUnknown,
    /// Too many wrong tokens from one address: try again after this many
    /// seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// The database is unreachable, or kept aborting the write.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The request took longer than the configured timeout.
    #[error("request timed out")]
    Timeout,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if db::is_unavailable(&err) {
            ApiError::Unavailable(err.to_string())
        } else {
            ApiError::Internal(err.to_string())
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotAllowed(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::CursorGone(_) => StatusCode::GONE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::InFlight => StatusCode::CONFLICT,
            ApiError::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::OutcomeUnknown => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (slug, detail): (&str, String) = match self {
            ApiError::Unauthorized => (
                "unauthorized",
                "Send a valid API token as `Authorization: Bearer TOKEN`.".into(),
            ),
            ApiError::NotAllowed(role) => (
                "not-allowed",
                format!("The {role} role (the account's, capped by the token's) does not allow this. Nothing was changed."),
            ),
            ApiError::NotFound => ("not-found", "There is nothing at this address.".into()),
            ApiError::CursorGone(why) => (
                "cursor-gone",
                format!("This cursor no longer fits the change feed ({why}): the database may have been restored from a backup. Read the feed again from the beginning (without `after`)."),
            ),
            ApiError::MethodNotAllowed => (
                "method-not-allowed",
                "This address does not accept that method.".into(),
            ),
            ApiError::BadRequest(why) => ("bad-request", why.clone()),
            ApiError::PayloadTooLarge => (
                "too-large",
                "The body is larger than 64 KiB. Nothing was changed.".into(),
            ),
            ApiError::UnsupportedMediaType => (
                "unsupported-media-type",
                "Send the body as application/json (or application/merge-patch+json for PATCH).".into(),
            ),
            ApiError::Invalid(_) => (
                "invalid",
                "Some members were refused; `errors` says which and why. Nothing was changed.".into(),
            ),
            ApiError::PreconditionRequired => (
                "if-match-required",
                "Send `If-Match` with the ETag you read (`\"VERSION\"`); `*` is not accepted. Nothing was changed.".into(),
            ),
            ApiError::InFlight => (
                "idempotency-key-in-flight",
                "A request with this Idempotency-Key is still being answered; send it again in a moment.".into(),
            ),
            ApiError::KeyReused => (
                "idempotency-key-reused",
                "This Idempotency-Key was sent with a different request (method, path, If-Match or body) in the last 24 hours. Nothing was changed: use a new key for a new request.".into(),
            ),
            ApiError::OutcomeUnknown => (
                "outcome-unknown",
                "The connection to the database was lost while the change was committing: it may or may not have been made. Send the same request again with the same Idempotency-Key to be told which, or read the record.".into(),
            ),
            ApiError::TooManyRequests(after) => (
                "too-many-requests",
                format!("Too many wrong tokens from this address; try again in {after} seconds."),
            ),
            ApiError::Unavailable(_) | ApiError::Timeout => (
                "unavailable",
                "The database did not answer in time. Send the request again (with the same Idempotency-Key) in a moment.".into(),
            ),
            ApiError::Internal(_) => (
                "internal",
                "registrar could not complete this request. The problem has been logged.".into(),
            ),
        };
        let mut problem = Problem::new(status, slug, detail);
        match self {
            ApiError::Invalid(errors) => problem.errors = Some(errors.clone()),
            ApiError::KeyReused => {
                problem.errors = Some(BTreeMap::from([(
                    "Idempotency-Key".to_owned(),
                    "already used with a different request".to_owned(),
                )]));
            }
            _ => {}
        }
        problem
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "API request failed");
        }
        let mut response = respond(status, &self.problem());
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests(after) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(after));
            }
            ApiError::Unavailable(_) | ApiError::Timeout | ApiError::OutcomeUnknown => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// The problem a bare error status stands for, when a layer outside the
/// handlers answered an API request (a timeout, a body over the limit).
pub fn from_status(status: StatusCode) -> Response {
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound.into_response(),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed.into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge.into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType.into_response(),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::Timeout.into_response(),
        StatusCode::INTERNAL_SERVER_ERROR => {
            ApiError::Internal("a layer failed".into()).into_response()
        }
        status => respond(
            status,
            &Problem::new(
                status,
                "refused",
                "registrar could not answer this request.",
            ),
        ),
    }
}
