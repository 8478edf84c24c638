//! The JSON API under `/api/v1` (contract §13): an adapter on the write
//! core, like the pages. Nothing here decides whether a write happens; the
//! handlers translate JSON into a [`crate::students::protocol::Command`]
//! and its [`crate::students::protocol::Outcome`] into an answer.
//!
//! - [`caller`]: who is calling (a bearer token), the only credential;
//! - [`changes`]: the change feed, `GET /api/v1/changes`;
//! - [`idempotency`]: `Idempotency-Key`, kept in the write's transaction;
//! - [`json`]: the shapes of a student every route sends;
//! - [`openapi`]: the OpenAPI document, generated from the handlers;
//! - [`request`]: reading queries, JSON bodies and the protocol's headers;
//! - [`schemas`]: how the document describes the values the API takes;
//! - [`me`]: `GET /api/v1/me`, the caller and their token;
//! - [`problem`]: the boundary's one error type, answered as
//!   `application/problem+json` (RFC 9457).

pub mod caller;
pub mod changes;
pub mod idempotency;
pub mod json;
pub mod looks;
pub mod me;
pub mod openapi;
pub mod paths;
pub mod problem;
pub mod request;
pub mod schemas;
pub mod students;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

/// Whether `path` is one of the API's (its errors are problems, not pages).
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}
