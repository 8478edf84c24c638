//! Post/Redirect/Get.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::flash::Flash;

/// `303 See Other` to a local path.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `303 See Other` to a local path, with a message for the next page (set
/// as a cookie by [`super::flash::carry`]).
pub fn see_other_with(location: &str, flash: Flash) -> Response {
    let mut response = see_other(location);
    response.extensions_mut().insert(flash);
    response
}
