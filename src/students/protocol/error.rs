//! Why the write core could not decide: the one error of every path that
//! writes a student.

use sea_orm::DbErr;

use crate::auth::writer::WriteRefused;
use crate::cluster::failure::{self, Failure, HasFailure};
use crate::db;
use crate::domain::Role;
use crate::students::store::numbers;

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// No student was ever created with this id.
    #[error("no such student")]
    NotFound,
    /// The row lock or the database did not answer in time: nothing was
    /// written, and the same submission may be sent again.
    #[error("busy: {0}")]
    Busy(DbErr),
    /// The writer's role no longer allows the write (contract §9).
    #[error("not allowed for the {0} role")]
    NotAllowed(Role),
    /// The writer's account was disabled.
    #[error("the account is not enabled")]
    NotEnabled,
    /// The connection was lost while `COMMIT` was on its way, and the
    /// submission id could not tell (or there was none): the write may or
    /// may not have committed (contract §10). Never answered "saved" or
    /// "not saved" on a guess.
    #[error("commit outcome unknown: {0}")]
    CommitUnknown(DbErr),
    /// Another request took over the command's receipt (its idempotency
    /// key) while it ran: nothing was written; that request answers.
    #[error("the receipt was claimed by another request")]
    ReceiptLost,
    #[error("database error: {0}")]
    Database(DbErr),
}

impl HasFailure for ProtocolError {
    fn failure(&self) -> Failure {
        match self {
            ProtocolError::Busy(err) | ProtocolError::Database(err) => failure::classify(err),
            ProtocolError::CommitUnknown(_) => Failure::CommitUnknown,
            _ => Failure::Other,
        }
    }
}

impl From<WriteRefused> for ProtocolError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Role(role) => ProtocolError::NotAllowed(role),
            WriteRefused::NotEnabled => ProtocolError::NotEnabled,
            WriteRefused::Database(err) => err.into(),
        }
    }
}

impl From<DbErr> for ProtocolError {
    fn from(err: DbErr) -> Self {
        if db::is_unavailable(&err) {
            ProtocolError::Busy(err)
        } else {
            ProtocolError::Database(err)
        }
    }
}

impl ProtocolError {
    /// Whether a revision's unique submission refused the write: the id
    /// already went with another change.
    pub(super) fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            ProtocolError::Database(err)
                if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
                    && !numbers::is_number_taken(err)
        )
    }

    /// Whether the unique index on student numbers refused the write.
    pub(super) fn is_number_taken(&self) -> bool {
        matches!(self, ProtocolError::Database(err) if numbers::is_number_taken(err))
    }
}
