//! A refused command: what it is answered, and keeping what the writer
//! sent as a conflict entry in the transaction that refused it.

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::judge::Refusal;
use super::{Act, Command, Outcome, ProtocolError};
use crate::cluster::failure::{self, Failure};
use crate::cluster::retry;
use crate::db::begin_write;
use crate::domain::Version;
use crate::students::store::conflicts::{self, RejectedSubmission};
use crate::students::store::{Revision, Student, revisions};
use crate::students::values::StudentForm;

/// Whether the refusal keeps the submission in the record's history: every
/// stale one (an undelete of a record no longer deleted too), and an edit
/// or delete of a record deleted meanwhile.
fn keeps(act: &Act<'_>, refusal: &Refusal) -> bool {
    match refusal {
        Refusal::Stale | Refusal::NotDeleted => true,
        Refusal::Gone => matches!(act, Act::Edit { .. } | Act::Delete { .. }),
        _ => false,
    }
}

/// Ends `txn` for a refusal of `command` over `current` (as locked) and
/// says what became of it.
pub async fn answer(
    db: &DatabaseConnection,
    txn: DatabaseTransaction,
    command: &Command<'_>,
    seen: Version,
    current: Student,
    refusal: Refusal,
    restored: Option<Revision>,
) -> Result<Outcome, ProtocolError> {
    let since = match refusal {
        Refusal::Stale | Refusal::NotDeleted => {
            revisions::since(&txn, current.id, seen.get()).await?
        }
        _ => Vec::new(),
    };
    if keeps(&command.act, &refusal) {
        keep(db, txn, command, seen, &current, restored.as_ref()).await;
    } else {
        txn.rollback().await?;
    }
    Ok(match refusal {
        Refusal::Gone => Outcome::Gone { current },
        Refusal::Stale => Outcome::Stale {
            current,
            since,
            restored,
        },
        Refusal::NotDeleted => Outcome::NotDeleted { current, since },
        Refusal::NotAVersion => Outcome::NotAVersion,
        Refusal::Unchanged => Outcome::Unchanged { current },
        Refusal::Invalid {
            errors,
            reason_error,
        } => Outcome::Invalid {
            errors,
            reason_error,
            current: Some(current),
            taken: None,
        },
        Refusal::NumberTaken { number, holder } => {
            Outcome::number_taken(&number, holder, Some(current))
        }
    })
}

/// Keeps the refused submission and commits it. The refusal stands
/// whatever becomes of the entry (a stale version never becomes fresh
/// again): if the database aborts the transaction (a Galera node's write
/// got in first), the entry is kept in a transaction of its own; if it
/// cannot take it at all now, the writer is still answered with
/// everything they sent.
async fn keep(
    db: &DatabaseConnection,
    txn: DatabaseTransaction,
    command: &Command<'_>,
    seen: Version,
    current: &Student,
    restored: Option<&Revision>,
) {
    let restored = restored.map(StudentForm::of);
    let values = match command.act {
        Act::Edit { values, .. } | Act::Create { values } => Some(values),
        Act::Restore { .. } => restored.as_ref(),
        Act::Delete { .. } | Act::Undelete { .. } => None,
    };
    let rejected = RejectedSubmission {
        student_id: current.id,
        attempted: command.act.attempt(),
        submitted_version: seen.get(),
        current_version: current.version,
        values,
        registrar: command.writer,
        reason: command.reason.filter(|r| !r.trim().is_empty()),
    };
    let kept = match conflicts::record(&txn, rejected.clone()).await {
        Ok(()) => txn
            .commit()
            .await
            .map_err(|err| (failure::classify_commit(&err), err)),
        Err(err) => {
            // Its locks go before the entry is written on its own.
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a refusal");
            }
            Err((failure::classify(&err), err))
        }
    };
    let kept = match kept {
        Err((Failure::Retryable, _)) => {
            retry::write("conflict entry", || on_its_own(db, rejected.clone())).await
        }
        other => other.map_err(|(_, err)| err),
    };
    if let Err(err) = kept {
        tracing::warn!(error = %err, "could not keep a refused submission as a conflict entry");
    }
}

/// Keeps `rejected` in a write transaction of its own.
async fn on_its_own(
    db: &DatabaseConnection,
    rejected: RejectedSubmission<'_>,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    conflicts::record(&txn, rejected).await?;
    txn.commit().await
}
