//! "Try again shortly": the one place that sets `Retry-After`, on every
//! `503` the application answers (the error page, the form kept as typed).

use axum::http::header;
use axum::response::Response;

/// Seconds a client is asked to wait before sending again.
pub const RETRY_AFTER_SECONDS: u16 = 2;

/// Asks the client to send the request again in a moment.
pub fn ask_to_retry(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, RETRY_AFTER_SECONDS.into());
}
