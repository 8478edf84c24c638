//! Ids in paths.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::AppError;

/// A student id from the path: a positive integer, or the request is a `404`
/// (never a `500`, whatever the segment holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StudentId(pub i64);

impl StudentId {
    pub fn parse(segment: &str) -> Option<Self> {
        if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        segment
            .parse::<i64>()
            .ok()
            .filter(|&id| id > 0)
            .map(StudentId)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for StudentId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(segment) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        StudentId::parse(&segment).ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::StudentId;

    #[test]
    fn only_positive_integers_are_ids() {
        assert_eq!(StudentId::parse("42"), Some(StudentId(42)));
        for bad in [
            "0",
            "-1",
            "+1",
            "1.0",
            "abc",
            "",
            " 1",
            "99999999999999999999",
            "1e3",
        ] {
            assert_eq!(StudentId::parse(bad), None, "{bad:?}");
        }
    }
}
