//! registrar: a server-rendered web application in which university
//! registrars edit student records, and in which two registrars editing the
//! same record at once can never silently overwrite each other.
//!
//! The request path: [`routes`] maps a request to a handler in
//! [`students`]; handlers parse input once into [`domain`] types and run the
//! edit protocol ([`students::protocol`]): one transaction, the row locked,
//! the version compared, the write guarded. Pages are askama templates
//! ([`views`], `students::record::views`, the shared [`layout`]); every failure
//! becomes a page through [`error::AppError`], the one way to an error page.
//!
//! Around it: [`config`] (the command line, each command with its own
//! options), [`startup`] (run a command; connect, migrate, bind, serve, shut
//! down), [`ephemeral`] (`serve --ephemeral`, a throw-away server for
//! tests), [`telemetry`] (logs, on standard error), [`metrics`] (`/metrics`, on
//! its own address), [`state`], [`auth`]
//! (accounts, sessions, CSRF, throttling), [`presence`] (who else has a
//! record's edit form open: advice, never a lock), [`kept`] (a form posted
//! after its session ended, kept for its account), [`http`] (strict decoding,
//! cookies, flash messages, redirects), [`db`], [`health`], [`assets`],
//! [`zone`] (the office's time zone, in which pages show times), [`days`]
//! (the logs' `since`/`until` filters: days in that zone), [`access`]
//! (who looked: the access log, its batched writer and its pages),
//! [`upkeep`] (the instance's periodic sweeps), [`audit`] (`registrar
//! audit`: the revisions' hash chains verified, digests), [`api`] and
//! [`api_tokens`] (the JSON API and the tokens it takes), [`feed`] (the
//! API's change feed: revisions stamped in a dense order after they
//! commit), [`two_factor`] (a second factor for password accounts).
//! The contract other people's tests rely on is `docs/contract.md`.

pub mod access;
pub mod accounts;
pub mod api;
pub mod api_tokens;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod days;
pub mod db;
pub mod domain;
pub mod ephemeral;
pub mod error;
pub mod feed;
pub mod health;
pub mod http;
pub mod kept;
pub mod layout;
pub mod metrics;
pub mod oidc;
pub mod presence;
pub mod routes;
pub mod server;
pub mod startup;
pub mod state;
pub mod students;
pub mod telemetry;
pub mod two_factor;
pub mod upkeep;
pub mod views;
pub mod zone;

#[cfg(feature = "testing")]
pub mod testing;
