//! One student's pages and forms: reading it, creating, editing and
//! deleting it through the edit protocol, and the pages that explain a
//! refusal.
//!
//! - [`read`]: the handlers of its page, its edit form and the create form;
//! - [`write`]: the handlers that create, edit and delete;
//! - [`restore`]: the handlers that restore a version and undelete;
//! - [`views`]: the page structs and the partial of the three inputs;
//! - [`conflict_pages`]: the `409` pages of a stale edit or delete.

pub mod answers;
pub mod conflict_pages;
pub mod read;
pub mod restore;
pub mod views;
pub mod write;
