//! Signing in with the university's identity provider (contract §14),
//! OpenID Connect through the `openidconnect` crate:
//!
//! - [`provider`]: the provider's discovery document and keys, kept fresh;
//! - [`http`]: the HTTP client the protocol goes through;
//! - [`flow`]: the flow's cookie (`state`, `nonce`, PKCE verifier, `next`);
//! - [`roles`]: `--oidc-roles`, the role the claims give;
//! - [`handlers`], [`views`]: `/login/oidc`, `/login/oidc/callback`;
//! - [`logout`]: ending the provider's session with ours;
//! - [`offer`]: "Sign in with NAME" on the sign-in page.
//!
//! The accounts it signs in are in [`crate::accounts::provider`].

pub mod flow;
pub mod handlers;
pub mod http;
pub mod logout;
pub mod offer;
pub mod provider;
pub mod roles;
pub mod views;

pub use provider::Provider;
