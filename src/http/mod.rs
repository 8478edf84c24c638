//! HTTP plumbing shared by every resource: strict form and query decoding,
//! path ids, cookies, one-time flash messages, redirects, checks of the
//! request itself, answers for what no handler served, and values encoded
//! for the addresses pages link to.

pub mod cookie;
pub mod encode;
pub mod flash;
pub mod form;
pub mod headers;
pub mod path;
pub mod query;
pub mod redirect;
pub mod request;
pub mod retry;
pub mod unserved;
