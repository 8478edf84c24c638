//! Registrar accounts and security: who may act, and proof that a form
//! came from one of our pages.
//!
//! - [`accounts`]: creating, listing, disabling accounts;
//! - [`password`]: Argon2id hashes;
//! - [`sessions`]: sessions in the database, the [`Registrar`] extractor and
//!   the middleware that requires one;
//! - [`csrf`]: form tokens (checked by [`crate::http::form::Form`]);
//! - [`throttle`]: slowing password guessing;
//! - [`handlers`], [`views`]: `/login`, `/logout`, `/setup`;
//! - [`cli`]: `registrar user …`.

pub mod accounts;
pub mod cli;
pub mod client;
pub mod csrf;
pub mod handlers;
pub mod password;
pub mod roles;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod views;

pub use sessions::{MaybeRegistrar, Registrar};
