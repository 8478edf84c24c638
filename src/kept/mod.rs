//! A session that ends mid-edit loses nothing (contract §12).
//!
//! A record form (create, edit, delete, restore, undelete) posted with the
//! cookie and form token of a session that ended within a day (signed
//! out, ended elsewhere, idle, past its limit, ended by an admin: see
//! [`crate::auth::ended`]) is not applied: what it carried is kept for its
//! account alone, and after that account signs in again it lands on the
//! form with those values and the version it had, so saving follows §2.
//! A form refused because its account lost the right to write answers
//! `403` showing what was typed.
//!
//! - [`form`]: what a record form carried, read by name (never a
//!   password or any other field);
//! - [`store`]: the `kept_forms` table;
//! - [`intercept`]: the layer around the record form routes;
//! - [`landing`]: where signing in leads an account with a kept form;
//! - [`pages`]: the kept form offered back, discarded, listed.

pub mod form;
pub mod intercept;
pub mod landing;
pub mod pages;
pub mod store;
