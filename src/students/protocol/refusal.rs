//! A refused command: what it is answered, and keeping what the writer
//! sent as a conflict entry in the transaction that refused it.

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::judge::Refusal;
use super::{Act, Command, Kept, Outcome, ProtocolError, Receipt};
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
    let kept = keeps(&command.act, &refusal);
    let conflict = kept.then_some(Conflict {
        student_id: current.id,
        current_version: current.version,
    });
    let outcome = match refusal {
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
    };
    match conflict {
        Some(conflict) => keep(db, txn, command, seen, conflict, &outcome).await,
        None => txn.rollback().await?,
    }
    Ok(outcome)
}

/// The refused record, as the conflict entry names it.
#[derive(Debug, Clone, Copy)]
struct Conflict {
    student_id: i64,
    current_version: i64,
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
    conflict: Conflict,
    outcome: &Outcome,
) {
    let restored = match outcome {
        Outcome::Stale { restored, .. } => restored.as_ref().map(StudentForm::of),
        _ => None,
    };
    let values = match command.act {
        Act::Edit { values, .. } | Act::Create { values } => Some(values),
        Act::Restore { .. } => restored.as_ref(),
        Act::Delete { .. } | Act::Undelete { .. } => None,
    };
    let rejected = RejectedSubmission {
        student_id: conflict.student_id,
        attempted: command.act.attempt(),
        submitted_version: seen.get(),
        current_version: conflict.current_version,
        values,
        registrar: command.writer,
        reason: command.reason.filter(|r| !r.trim().is_empty()),
    };
    let receipt = command.receipt;
    let kept = match record(&txn, rejected.clone(), receipt, outcome).await {
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
            retry::write("conflict entry", || {
                on_its_own(db, rejected.clone(), receipt, outcome)
            })
            .await
        }
        other => other.map_err(|(_, err)| err),
    };
    if let Err(err) = kept {
        tracing::warn!(error = %err, "could not keep a refused submission as a conflict entry");
    }
}

/// Writes the conflict entry, and the receipt of the refusal with it: a
/// receipt another request took over keeps nothing (that request answers).
async fn record(
    txn: &DatabaseTransaction,
    rejected: RejectedSubmission<'_>,
    receipt: Option<&dyn Receipt>,
    outcome: &Outcome,
) -> Result<(), DbErr> {
    if let Some(receipt) = receipt
        && receipt.keep(txn, outcome).await? == Kept::ClaimLost
    {
        return Err(DbErr::Custom(
            "the idempotency key was claimed by another request".into(),
        ));
    }
    conflicts::record(txn, rejected).await
}

/// Keeps `rejected` in a write transaction of its own.
async fn on_its_own(
    db: &DatabaseConnection,
    rejected: RejectedSubmission<'_>,
    receipt: Option<&dyn Receipt>,
    outcome: &Outcome,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    record(&txn, rejected, receipt, outcome).await?;
    txn.commit().await
}
