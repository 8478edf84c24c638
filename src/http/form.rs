//! Form bodies, decoded strictly.
//!
//! axum's `Form` decodes percent-escapes lossily (invalid UTF-8 becomes
//! U+FFFD), which would store characters nobody typed. [`Form`] refuses
//! such bodies with `400`, answers `415` for other content types and `413`
//! for bodies over the limit set on the router, all as HTML pages; and it
//! refuses with `403` any form without the right CSRF token, so a handler
//! that takes a `Form` cannot forget that check.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::auth::csrf;
use crate::auth::sessions::SignedIn;
use crate::error::AppError;

/// Largest form body accepted (docs/contract.md §4).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A form posted as `application/x-www-form-urlencoded`, every key and
/// value valid UTF-8 once percent-decoded, carrying this session's (or
/// pre-session's) CSRF token. Unknown fields are ignored.
pub struct Form<T>(pub T);

impl<S, T> FromRequest<S> for Form<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_urlencoded(req.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let headers = req.headers().clone();
        let registrar = req.extensions().get::<SignedIn>().cloned();
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The form could not be read. Nothing was saved.")
            }
        })?;
        let pairs = decode_pairs(&body)?;
        let submitted = pairs
            .iter()
            .find(|(key, _)| key == csrf::FIELD)
            .map(|(_, value)| value.as_str());
        if !csrf::is_valid(submitted, registrar.as_ref(), &headers) {
            return Err(AppError::Forbidden);
        }
        serde_urlencoded::from_bytes(&body)
            .map(Form)
            .map_err(|_| AppError::BadRequest("The form could not be read. Nothing was saved."))
    }
}

/// Whether the request says its body is form-encoded.
pub fn is_urlencoded(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Decodes `application/x-www-form-urlencoded` pairs, refusing any key or
/// value that is not UTF-8 after percent-decoding.
pub fn decode_pairs(input: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let key = decode_component(halves.next().unwrap_or_default())?;
            let value = decode_component(halves.next().unwrap_or_default())?;
            Ok((key, value))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> Result<String, AppError> {
    // Copied only where a `+` or a `%` asks for it.
    let plus_as_space: Cow<[u8]> = match raw.contains(&b'+') {
        true => Cow::Owned(
            raw.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        ),
        false => Cow::Borrowed(raw),
    };
    let bytes = Cow::from(percent_encoding::percent_decode(&plus_as_space));
    String::from_utf8(bytes.into_owned()).map_err(|_| {
        AppError::BadRequest(
            "The request contained text that is not valid UTF-8. Nothing was saved.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::decode_pairs;

    #[test]
    fn pairs_are_decoded_with_plus_as_space() {
        let pairs = decode_pairs(b"name=Ada+Lovelace&gpa=3.5&x=%C3%A9&empty=&flag").unwrap();
        assert_eq!(
            pairs,
            [
                ("name".into(), "Ada Lovelace".into()),
                ("gpa".into(), "3.5".into()),
                ("x".into(), "é".into()),
                ("empty".into(), "".into()),
                ("flag".into(), "".into()),
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_refused_not_replaced() {
        assert!(decode_pairs(b"name=%FF").is_err());
        assert!(decode_pairs(b"name=%C3").is_err());
        assert!(decode_pairs(b"%FF=x").is_err());
        assert!(decode_pairs(b"name=\xff").is_err());
    }
}
