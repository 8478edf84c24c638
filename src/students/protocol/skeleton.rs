//! The one transaction script every single write runs (see the module map
//! of [`super`] for its steps).

use std::future::Future;

use sea_orm::DatabaseConnection;

use super::judge::{self, Change, Refusal, Verdict};
use super::steps::{self, Looked};
use super::{Act, Command, Outcome, ProtocolError, refusal};
use crate::cluster::retry;
use crate::cluster::submission::{self, Submission};
use crate::db::now;
use crate::domain::{Reason, ReasonInput, StudentValues};
use crate::metrics;
use crate::students::store::{self, Author, revisions};

/// Runs `command`; a transaction the database aborted runs again whole
/// ([`retry::write`]). A submission that already committed answers
/// [`Outcome::Replayed`] and writes nothing; a commit whose connection was
/// cut is answered by what the submission id finds, once the database
/// answers again (contract §10).
pub async fn run(db: &DatabaseConnection, command: &Command<'_>) -> Result<Outcome, ProtocolError> {
    let name = command.act.name();
    let outcome = if let Act::Create { values } = command.act {
        let values = match judge::judge_create(values) {
            Verdict::Write(Change::Values(values), _) => values,
            Verdict::Refuse(Refusal::Invalid { errors, .. }) => {
                return Ok(Outcome::Invalid {
                    errors,
                    reason_error: None,
                    current: None,
                    taken: None,
                });
            }
            _ => return Err(ProtocolError::NotFound),
        };
        let values = &values;
        until_number_seen(|| retry::write(name, move || create(db, command, values))).await
    } else {
        let reason = &Reason::parse(command.reason);
        let attempt = |check| retry::write(name, move || once(db, command, reason, check));
        match until_number_seen(|| attempt(Check::WhenVersionMoved)).await {
            // The id already went with another change (a client that sends
            // one id with several forms): judged again as a change of its own.
            Err(err) if command.submission.is_some() && err.is_unique_violation() => {
                until_number_seen(|| attempt(Check::Always)).await
            }
            outcome => outcome,
        }
    };
    let outcome = match outcome {
        Err(ProtocolError::CommitUnknown(err)) => {
            after_cut_commit(db, command.submission, err).await
        }
        outcome => outcome,
    }?;
    if outcome.is_written() {
        metrics::record_save(command.act.action());
    }
    Ok(outcome)
}

/// How often a write whose student number the unique index refused runs
/// again (each time, another writer took the number first).
const NUMBER_RUNS: u32 = 3;

/// Runs `write` again when the unique index refused its student number: a
/// writer that gave it at the same instant committed first, and the next
/// run's look-up finds it and answers `Invalid` naming that student, never
/// an error (contract §12).
async fn until_number_seen<F, Fut>(mut write: F) -> Result<Outcome, ProtocolError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Outcome, ProtocolError>>,
{
    let mut run = 1;
    loop {
        match write().await {
            Err(err) if err.is_number_taken() && run < NUMBER_RUNS => run += 1,
            outcome => return outcome,
        }
    }
}

/// When a write looks its submission id up among the committed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Only when the record moved past the version the client saw: a
    /// submission that committed moved it, so a record still at that
    /// version has not seen this submission, and the lookup (a round trip)
    /// is skipped on every ordinary save. Should the id have gone with a
    /// change of another record, the revision's unique submission refuses
    /// the insert and the write runs again with [`Check::Always`].
    WhenVersionMoved,
    Always,
}

async fn once(
    db: &DatabaseConnection,
    command: &Command<'_>,
    reason: &ReasonInput,
    check: Check,
) -> Result<Outcome, ProtocolError> {
    let Some((id, seen)) = command.act.target() else {
        return Err(ProtocolError::NotFound);
    };
    let txn = steps::begin(db).await?;
    let (current, writer) = steps::locked_by(&txn, id, command.writer).await?;
    let mut submission = command.submission;
    if !(check == Check::WhenVersionMoved && current.version == seen.get()) {
        submission = match steps::look_up(&txn, command).await? {
            Looked::Fresh(submission) => submission,
            Looked::Replayed { student_id } => {
                txn.rollback().await?;
                return Ok(Outcome::Replayed { student_id });
            }
        };
    }
    let restored = match command.act {
        Act::Restore { revision, .. } if current.deleted_at.is_none() => {
            revisions::at_version(&txn, id, revision.get()).await?
        }
        _ => None,
    };
    let (refusal, current) = match judge::judge(&command.act, &current, restored.as_ref(), reason) {
        Verdict::Write(change, reason) => {
            let author = Author {
                registrar: command.writer,
                at: now(),
                reason: reason.as_ref(),
                submission,
                import: None,
            };
            if let Change::Values(values) = &change
                && let Some((number, holder)) =
                    steps::number_taken(&txn, values, Some(&current)).await?
            {
                let refusal = Refusal::NumberTaken { number, holder };
                return refusal::answer(db, txn, command, seen, current, refusal, restored).await;
            }
            let action = command.act.action();
            if let Some(after) =
                steps::write_clearing(&txn, &current, &change, action, &author, writer).await?
            {
                let outcome = Outcome::Written { student: after };
                steps::keep_receipt(&txn, command.receipt, &outcome).await?;
                steps::commit(txn).await?;
                return Ok(outcome);
            }
            // The guard matched no row although the lock was held (a lock
            // that holds nothing, as on a lagging cluster node).
            let current = steps::locked(&txn, id).await?;
            let gone = current.deleted_at.is_some() && !matches!(change, Change::Undelete);
            let refusal = if gone { Refusal::Gone } else { Refusal::Stale };
            (refusal, current)
        }
        Verdict::Refuse(refusal) => (refusal, current),
    };
    refusal::answer(db, txn, command, seen, current, refusal, restored).await
}

/// A create: the writer re-checked, the submission looked up, the student
/// inserted at version 1 with its revision.
async fn create(
    db: &DatabaseConnection,
    command: &Command<'_>,
    values: &StudentValues,
) -> Result<Outcome, ProtocolError> {
    let txn = steps::begin(db).await?;
    steps::may_write(&txn, command.writer).await?;
    let submission = match steps::look_up(&txn, command).await? {
        Looked::Fresh(submission) => submission,
        Looked::Replayed { student_id } => {
            txn.rollback().await?;
            return Ok(Outcome::Replayed { student_id });
        }
    };
    if let Some((number, holder)) = steps::number_taken(&txn, values, None).await? {
        txn.rollback().await?;
        return Ok(Outcome::number_taken(&number, holder, None));
    }
    let student = store::insert(&txn, values, command.writer, now(), submission).await?;
    let outcome = Outcome::Written { student };
    steps::keep_receipt(&txn, command.receipt, &outcome).await?;
    steps::commit(txn).await?;
    Ok(outcome)
}

/// What became of a write whose `COMMIT` was cut off, as far as the
/// database can tell once it answers again: committed (the submission is
/// there), not committed (busy: send it again), or still unknown.
async fn after_cut_commit(
    db: &DatabaseConnection,
    submission: Option<&Submission>,
    err: sea_orm::DbErr,
) -> Result<Outcome, ProtocolError> {
    tracing::warn!(error = %err, "the connection was lost during COMMIT");
    let Some(submission) = submission else {
        return Err(ProtocolError::CommitUnknown(err));
    };
    match submission::outcome_after_cut_commit(db, submission).await {
        Some(Some(committed)) => Ok(Outcome::Replayed {
            student_id: committed.student_id,
        }),
        Some(None) => Err(ProtocolError::Busy(err)),
        None => Err(ProtocolError::CommitUnknown(err)),
    }
}
