//! The form-submission test kit: everything an integration test needs to
//! drive registrar the way a browser does, on a real database.
//!
//! Enabled by the `testing` cargo feature. A test typically:
//!
//! 1. spawns the app on a backend with its own throw-away database
//!    ([`TestApp::spawn`]; it returns `None`, after saying so loudly, when
//!    that database server is unreachable and `REGISTRAR_REQUIRE_SERVERS`
//!    is not `1`);
//! 2. opens a [`Browser`] (its own cookie jar, redirects not followed),
//!    usually signed in ([`TestApp::signed_in_browser`]);
//! 3. fetches a page, takes one of its forms ([`Page::form`]), fills fields
//!    and submits it, which echoes every hidden input back;
//! 4. asserts the status, the redirect, the flash message or field errors.
//!
//! ```no_run
//! # async fn example() {
//! use registrar::testing::{Backend, TestApp};
//!
//! let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
//! let browser = app.signed_in_browser().await;
//! let id = app.create_student(&browser, "Ada Lovelace", "1 Main St", "3.90").await;
//!
//! let edit = browser.get(&format!("/students/{id}/edit")).await;
//! let mut form = edit.form(&format!("/students/{id}"));
//! form.set("gpa", "4.00");
//! let saved = form.submit(&browser).await;
//! saved.assert_redirect_to(&format!("/students/{id}"));
//! assert_eq!(browser.follow(&saved).await.flash().as_deref(), Some("Saved"));
//! # }
//! ```

mod app;
mod browser;
mod database;
mod outcomes;

pub use app::{AppOptions, PASSWORD, REGISTRAR, TestApp};
pub use browser::{Browser, Form, Page};
pub use database::{Backend, TestDatabase, servers_required};
pub use outcomes::Outcomes;
