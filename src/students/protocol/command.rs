//! What a client asks the write core to do.

use super::Receipt;
use crate::cluster::submission::Submission;
use crate::db::entities::conflict::Attempt;
use crate::db::entities::revision::Action;
use crate::domain::Version;
use crate::students::values::StudentForm;

/// One write, as a client sent it: who, what, and the text they typed
/// (values and reason are judged by the core, under the lock).
#[derive(Clone, Copy)]
pub struct Command<'a> {
    /// The account the write is attributed to, by username.
    pub writer: &'a str,
    pub act: Act<'a>,
    /// The reason as typed; blank is none.
    pub reason: Option<&'a str>,
    /// The client's id of this submission (contract §10), so that sending
    /// it again never writes twice.
    pub submission: Option<&'a Submission>,
    /// Kept with the answer in the write's own transaction, when the
    /// client asked for one (an API idempotency key).
    pub receipt: Option<&'a dyn Receipt>,
}

impl std::fmt::Debug for Command<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Command")
            .field("writer", &self.writer)
            .field("act", &self.act)
            .field("reason", &self.reason)
            .field("submission", &self.submission)
            .field("receipt", &self.receipt.is_some())
            .finish()
    }
}

/// What the write does to which student, from the version the client saw.
#[derive(Debug, Clone, Copy)]
pub enum Act<'a> {
    /// A new student at version 1.
    Create {
        values: &'a StudentForm,
    },
    /// New values over `seen`.
    Edit {
        id: i64,
        seen: Version,
        values: &'a StudentForm,
    },
    Delete {
        id: i64,
        seen: Version,
    },
    /// The values of version `revision` again, over `seen`.
    Restore {
        id: i64,
        seen: Version,
        revision: Version,
    },
    /// A deleted student back, over `seen` (the version of its delete).
    Undelete {
        id: i64,
        seen: Version,
    },
}

impl Act<'_> {
    /// The write's name in logs and retry counts.
    pub fn name(&self) -> &'static str {
        match self {
            Act::Create { .. } => "create",
            Act::Edit { .. } => "edit",
            Act::Delete { .. } => "delete",
            Act::Restore { .. } => "restore",
            Act::Undelete { .. } => "undelete",
        }
    }

    /// The revision it commits.
    pub fn action(&self) -> Action {
        match self {
            Act::Create { .. } => Action::Created,
            Act::Edit { .. } => Action::Updated,
            Act::Delete { .. } => Action::Deleted,
            Act::Restore { .. } => Action::Restored,
            Act::Undelete { .. } => Action::Undeleted,
        }
    }

    /// What its conflict entry says it attempted, when it is refused.
    pub fn attempt(&self) -> Attempt {
        match self {
            Act::Create { .. } | Act::Edit { .. } => Attempt::Update,
            Act::Delete { .. } => Attempt::Delete,
            Act::Restore { .. } => Attempt::Restore,
            Act::Undelete { .. } => Attempt::Undelete,
        }
    }

    /// The student it writes over and the version the client saw (none
    /// for a create).
    pub fn target(&self) -> Option<(i64, Version)> {
        match *self {
            Act::Create { .. } => None,
            Act::Edit { id, seen, .. }
            | Act::Delete { id, seen }
            | Act::Restore { id, seen, .. }
            | Act::Undelete { id, seen } => Some((id, seen)),
        }
    }
}
