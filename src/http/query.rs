//! Query strings, decoded as strictly as form bodies.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::form::decode_pairs;
use crate::error::AppError;

/// The decoded pairs of the query string; `400` if any is not UTF-8.
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// The first value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        decode_pairs(query.as_bytes()).map(QueryPairs)
    }
}
