//! Students: their pages, their forms and the edit protocol that guards
//! every change to them.
//!
//! - [`protocol`]: the locked, versioned transactions (create, edit, delete);
//! - [`store`] and [`bulk`]: the code that writes (one record, many);
//! - [`listing`]: the list's queries;
//! - [`conflict`]: the comparison a stale submission is shown;
//! - [`form`], [`list`]: what requests carry, parsed once;
//! - [`pages`] and [`actions`]: the handlers for reads and for writes;
//! - [`views`] and [`csv`]: what responses carry.

pub mod actions;
pub mod bulk;
pub mod cli;
pub mod conflict;
pub mod csv;
pub mod form;
pub mod import;
pub mod list;
pub mod listing;
pub mod pages;
pub mod protocol;
pub mod restore;
pub mod store;
pub mod uploads;
pub mod views;
