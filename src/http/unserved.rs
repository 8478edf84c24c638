//! What a request no handler answered gets: a page, or on the API's paths
//! a problem document, never a bare status or a panic's text.

use std::any::Any;

use axum::extract::Request;
use axum::http::{StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api;
use crate::error::AppError;

/// Turns the body-less or plain-text errors that layers and extractors
/// outside the handlers produce (a cross-site post, a body over the limit
/// refused early, a request that timed out, a path that is not UTF-8) into
/// pages.
pub async fn pages_for_bare_errors(request: Request, next: Next) -> Response {
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !is_bare || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    not_served(&uri, status)
}

/// The answer for a request no handler served: a problem for the API's
/// paths, a page for the others.
pub fn not_served(uri: &Uri, status: StatusCode) -> Response {
    if api::is_api_path(uri.path()) {
        api::problem::from_status(status)
    } else {
        AppError::from_status(status).into_response()
    }
}

/// The answer when a handler panicked: the error page (or problem), the
/// panic's text logged, never sent.
pub fn handler_panicked(panic: Box<dyn Any + Send>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    AppError::Internal(format!("a handler panicked: {what}")).into_response()
}
