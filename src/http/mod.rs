//! HTTP plumbing shared by every resource: strict form and query decoding,
//! path ids, one-time flash messages, and redirects.

pub mod flash;
pub mod form;
pub mod path;
pub mod query;
pub mod redirect;
pub mod retry;

use axum::http::{HeaderMap, header};

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
