//! HTTP plumbing shared by every resource: strict form and query decoding,
//! path ids, cookies, one-time flash messages, and redirects.

pub mod cookie;
pub mod flash;
pub mod form;
pub mod headers;
pub mod path;
pub mod query;
pub mod redirect;
pub mod retry;
