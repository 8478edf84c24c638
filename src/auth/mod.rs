//! Accounts and security: who may act, and proof that a form
//! came from one of our pages.
//!
//! - [`password`]: Argon2id hashes;
//! - [`sessions`]: sessions in the database, the [`SignedIn`] extractor and
//!   the middleware that requires one;
//! - [`ended`]: sessions that ended, remembered for a day, so that a form
//!   their pages post afterwards is kept for their account;
//! - [`csrf`]: form tokens (checked by [`crate::http::form::Form`]);
//! - [`policy`]: how sessions, cookies and throttling behave;
//! - [`roles`]: roles and who may use each route;
//! - [`throttle`], [`client`]: limiting wrong password guesses, per client;
//! - [`handlers`], [`views`]: `/login`, `/logout`, `/setup`;
//! - [`next`]: where a sign-in goes next (a local path only);
//! - [`cli`]: `registrar user …`.

pub mod cli;
pub mod client;
pub mod csrf;
pub mod ended;
pub mod handlers;
pub mod next;
pub mod password;
pub mod policy;
pub mod roles;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod views;
pub mod writer;

pub use policy::{AuthPolicy, Throttle, TokenPolicy, TokenThrottle};
pub use sessions::{MaybeSignedIn, SignedIn};
