//! Checks and clean-ups of the request itself, before anything reads it.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// An HTTP/1.1 request names exactly one `Host` (RFC 9112 §3.2): one with
/// none or several is refused `400` before anything reads it.
pub async fn one_host(request: Request, next: Next) -> Response {
    let hosts = request.headers().get_all(header::HOST).iter().count();
    if request.version() == axum::http::Version::HTTP_11 && hosts != 1 {
        return AppError::BadRequest(
            "An HTTP/1.1 request must name its host in exactly one Host header.",
        )
        .into_response();
    }
    next.run(request).await
}

/// Replaces any `x-request-id` a client sent: the id in the logs is ours.
pub async fn fresh_request_id(mut request: Request, next: Next) -> Response {
    request.headers_mut().remove("x-request-id");
    next.run(request).await
}
