//! registrar: a server-rendered web application in which university
//! registrars edit student records, and in which two registrars editing the
//! same record at once can never silently overwrite each other.
//!
//! The request path: [`routes`] maps a request to a handler in
//! [`students`]; handlers parse input once into [`domain`] types and run the
//! edit protocol ([`students::protocol`]): one transaction, the row locked,
//! the version compared, the write guarded. Pages are askama templates
//! ([`views`], `students::record::views`, …); every failure becomes a page through
//! [`error::AppError`].

pub mod accounts;
pub mod assets;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod health;
pub mod http;
pub mod routes;
pub mod startup;
pub mod state;
pub mod students;
pub mod telemetry;
pub mod views;

#[cfg(feature = "testing")]
pub mod testing;
