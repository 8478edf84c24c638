//! Reading an API request strictly: its query, its JSON body and the
//! headers of the edit protocol (`If-Match`, `If-None-Match`,
//! `Idempotency-Key`). Anything unreadable is a `400`, a body of the wrong
//! type `415`, one too large `413`, never a `500`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use http_body_util::LengthLimitError;
use serde_json::{Map, Value};

use super::problem::ApiError;
use crate::domain::Version;
use crate::http::form::decode_pairs;
use crate::http::path::StudentId;

/// Largest body the API reads (contract §13).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The decoded pairs of the query string.
pub struct ApiQuery(pub Vec<(String, String)>);

impl ApiQuery {
    /// The first value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        decode_pairs(query.as_bytes())
            .map(ApiQuery)
            .map_err(|_| ApiError::BadRequest("The query string is not valid UTF-8.".into()))
    }
}

/// Which media types a body may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// `application/json` only.
    Json,
    /// `application/json` or `application/merge-patch+json` (RFC 7396).
    MergePatch,
}

/// A JSON object sent as a request body, with its bytes (an idempotency
/// key's fingerprint covers them).
#[derive(Debug)]
pub struct JsonObject {
    pub members: Map<String, Value>,
    pub bytes: Bytes,
}

impl JsonObject {
    /// Reads `request`'s body as a JSON object of a media type `accepts`
    /// allows.
    pub async fn read(request: Request, accepts: Accepts) -> Result<JsonObject, ApiError> {
        check_media_type(request.headers(), accepts)?;
        let too_large = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > MAX_BODY_BYTES as u64);
        if too_large {
            return Err(ApiError::PayloadTooLarge);
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|err| {
                if err.into_inner().is::<LengthLimitError>() {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest("The body could not be read.".into())
                }
            })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(members)) => Ok(JsonObject { members, bytes }),
            Ok(_) => Err(ApiError::BadRequest(
                "The body must be a JSON object.".into(),
            )),
            Err(err) => Err(ApiError::BadRequest(format!(
                "The body is not valid JSON: {err}."
            ))),
        }
    }
}

/// The body of a `POST`: `application/json`.
pub struct JsonBody(pub JsonObject);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        JsonObject::read(request, Accepts::Json).await.map(JsonBody)
    }
}

/// The body of a `PATCH`: a JSON Merge Patch (or plain JSON).
pub struct PatchBody(pub JsonObject);

impl<S: Send + Sync> FromRequest<S> for PatchBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        JsonObject::read(request, Accepts::MergePatch)
            .await
            .map(PatchBody)
    }
}

fn check_media_type(headers: &HeaderMap, accepts: Accepts) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType);
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match (essence.as_str(), accepts) {
        ("application/json", _) | ("application/merge-patch+json", Accepts::MergePatch) => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// The version `If-Match` names: required on every write (`428` without,
/// and for `*`); one strong ETag, `"VERSION"`.
pub fn if_match(headers: &HeaderMap) -> Result<Version, ApiError> {
    let mut values = headers.get_all(header::IF_MATCH).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ApiError::PreconditionRequired);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Err(ApiError::PreconditionRequired);
    }
    etag_version(text).ok_or_else(|| {
        ApiError::BadRequest(
            "If-Match must be one strong ETag as registrar sends it: the version in quotes, like \"3\"."
                .into(),
        )
    })
}

/// Whether `If-None-Match` names `version` (or is `*`): the client's copy
/// is current (`304`).
pub fn none_match(headers: &HeaderMap, version: i64) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value.to_str().unwrap_or_default().split(',').any(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || etag_version(tag).is_some_and(|v| v.get() == version)
        })
    })
}

/// The ETag of `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version of an ETag exactly as registrar writes one: a positive
/// number in quotes, without leading zeros, since entity-tags compare
/// character by character (RFC 9110 §8.8.3.2: `"01"` is not `"1"`).
fn etag_version(tag: &str) -> Option<Version> {
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    let well_formed = (1..=18).contains(&inner.len())
        && inner.bytes().all(|b| b.is_ascii_digit())
        && !inner.starts_with('0');
    if !well_formed {
        return None;
    }
    Version::parse(inner).ok()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{etag, if_match, none_match};
    use crate::api::problem::ApiError;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_match_takes_one_strong_etag_and_refuses_the_rest() {
        assert_eq!(
            if_match(&headers(header::IF_MATCH, "\"3\"")).unwrap().get(),
            3
        );
        assert!(matches!(
            if_match(&HeaderMap::new()),
            Err(ApiError::PreconditionRequired)
        ));
        assert!(matches!(
            if_match(&headers(header::IF_MATCH, "*")),
            Err(ApiError::PreconditionRequired)
        ));
        for bad in [
            "3",
            "W/\"3\"",
            "\"0\"",
            "\"-1\"",
            "\"+3\"",
            "\"03\"",
            "\"3\", \"4\"",
            "\"99999999999999999999\"",
        ] {
            assert!(
                matches!(
                    if_match(&headers(header::IF_MATCH, bad)),
                    Err(ApiError::BadRequest(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(none_match(&headers(header::IF_NONE_MATCH, &etag(4)), 4));
        assert!(none_match(
            &headers(header::IF_NONE_MATCH, "W/\"4\", \"5\""),
            4
        ));
        assert!(none_match(&headers(header::IF_NONE_MATCH, "*"), 4));
        assert!(!none_match(&headers(header::IF_NONE_MATCH, "\"3\""), 4));
        assert!(!none_match(&headers(header::IF_NONE_MATCH, "\"04\""), 4));
    }
}

/// A student id from an API path: a positive integer, else `404`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiStudentId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ApiStudentId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let StudentId(id) = StudentId::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok(ApiStudentId(id))
    }
}

/// A query's `limit`: 1–200, 50 when absent.
pub fn limit(query: &ApiQuery, errors: &mut BTreeMap<String, String>) -> u64 {
    const DEFAULT: u64 = 50;
    let Some(text) = query.get("limit") else {
        return DEFAULT;
    };
    match text.parse::<u64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) && !text.starts_with('+') => n,
        _ => {
            errors.insert(
                "limit".into(),
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            );
            DEFAULT
        }
    }
}

/// Most items a page holds.
pub const MAX_LIMIT: u64 = 200;
