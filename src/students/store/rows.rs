//! The rows the store reads and writes, and who writes them: the types
//! every part of the store shares (so its parts never import the store
//! itself).

use chrono::{DateTime, Utc};

use crate::cluster::submission::Submission;
use crate::db::entities::{conflict, revision, student};
use crate::domain::Reason;

pub use conflict::Attempt;
pub use revision::Action;

pub type Student = student::Model;
pub type Revision = revision::Model;
pub type ConflictEntry = conflict::Model;

/// Who makes a committed change, when, and why (if they said).
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub registrar: &'a str,
    pub at: DateTime<Utc>,
    pub reason: Option<&'a Reason>,
    /// The form submission, recorded with the revision (contract §10).
    pub submission: Option<&'a Submission>,
    /// The import whose confirm makes the change, recorded with the
    /// revision (the change log shows an import as one entry).
    pub import: Option<&'a str>,
}
