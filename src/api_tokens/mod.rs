//! API tokens (contract §13): an account's credentials for the JSON API
//! under `/api/v1`, which takes nothing else (no session cookie).
//!
//! A token is 256 random bits (`rgt_` and 43 URL-safe base64 characters),
//! shown once when it is made and stored only as its SHA-256. It acts with
//! its account's role now, capped by its own (`viewer` tokens cannot
//! write); it stops at once when it is revoked or expires, or when its
//! account is disabled. Lifetimes are capped by `--max-token-days`.
//!
//! - [`store`]: making (on `/account` with the password typed again, or
//!   `registrar token add`), listing and revoking tokens, each recorded
//!   among the account's changes;
//! - [`bearer`]: reading `Authorization: Bearer` and finding whom a token
//!   stands for (what [`crate::api::caller`] runs before every API route);
//! - [`throttle`]: wrong tokens, counted per client address apart from
//!   sign-ins;
//! - [`pages`], [`views`]: the tokens on `/account` (made with the
//!   password typed again, listed, revoked) and on `/accounts/{username}`
//!   (admins revoke any);
//! - [`cli`]: `registrar token add | list | revoke`.

pub mod bearer;
pub mod cli;
pub mod pages;
pub mod store;
pub mod throttle;
pub mod views;
