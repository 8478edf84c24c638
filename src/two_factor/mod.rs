//! A second factor for password accounts (contract §14): a time-based
//! one-time password (RFC 6238) and ten single-use recovery codes.
//!
//! - [`totp`]: the codes, the `otpauth://` URI and its QR code;
//! - [`store`]: turning it on and off, accepting a code or a recovery
//!   code at most once (in the database, so every instance agrees);
//! - [`pending`]: the second step of a password sign-in, before any
//!   session exists;
//! - [`enrol`], [`sign_in`], [`views`]: `/account/two-factor…`,
//!   `/login/two-factor` and the admin's reset.
//!
//! Accounts that sign in at the university's identity provider do not
//! take this step: the provider has its own.

pub mod enrol;
pub mod pending;
pub mod sign_in;
pub mod store;
pub mod totp;
pub mod views;
