//! Who is acting: the registrar a change is attributed to.
//!
//! Accounts and sessions are not built yet; until they are, every change is
//! attributed to [`Registrar::PLACEHOLDER`]. Handlers already take a
//! [`Registrar`], so signing in only changes how it is extracted.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::AppError;

/// The registrar making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrar {
    username: String,
}

impl Registrar {
    pub const PLACEHOLDER: &'static str = "registrar";

    pub fn username(&self) -> &str {
        &self.username
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Registrar {
    type Rejection = AppError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Registrar {
            username: Registrar::PLACEHOLDER.to_owned(),
        })
    }
}
