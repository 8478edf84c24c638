//! Many import rows in one transaction, through the same steps as a single
//! write: the writer re-checked, the students locked in id order, each row
//! judged under the lock ([`super::judge::import_row`], the preview's own
//! rule), the clean updates written together through the guarded update
//! with an `imported` revision each, and every stale or deleted row kept
//! as a conflict entry in the same transaction. A row that is invalid,
//! names no student or gives a number another student holds is refused
//! ([`Refusal`] says which) and writes nothing at all: it was never an edit
//! of a record.
//!
//! The caller commits: an import records each row's result and renews its
//! lease in the same transaction, so a batch is done exactly once or not
//! at all; it counts the rows written once it has committed.

use std::collections::HashMap;

use sea_orm::DatabaseTransaction;

use super::{ProtocolError, judge, steps};
use crate::db::entities::conflict::Attempt;
use crate::db::entities::import_row::{RowOutcome, RowResult};
use crate::db::now;
use crate::domain::{FieldSet, StudentNumber, StudentValues};
use crate::students::store::conflicts::{self, RejectedSubmission};
use crate::students::store::numbers;
use crate::students::store::{self, Action, Author, Student, revisions};
use crate::students::values::{StudentForm, keep_stored};

/// One row as the file asks it: a create (no student), or an update over
/// `version`; `values` typed when the file was read (`None`: the row is
/// not valid, and is refused).
#[derive(Debug, Clone, Copy)]
pub struct RowCommand<'a> {
    pub student_id: Option<i64>,
    pub version: Option<i64>,
    pub values: Option<&'a StudentValues>,
    /// The optional fields the file has no column for: the row leaves
    /// them as they are (its values' own are ignored).
    pub keeps: FieldSet,
}

/// What became of a row, and the record's version after it (or when it
/// was refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowDecision {
    pub result: RowResult,
    pub version: Option<i64>,
    /// Why it was refused (`None` unless `result` is `Refused`).
    pub refusal: Option<Refusal>,
}

/// Why a row was refused: pages and files say so, and only a stale or
/// deleted row is kept as a conflict entry in its record's history (the
/// others were never an edit of that record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its values broke the rules when the file was read.
    Invalid,
    /// No student has its id.
    Unknown,
    /// The record changed since the row's version.
    Stale,
    /// The record was deleted.
    Deleted,
    /// Its student number is another student's now (or an earlier row's
    /// of the same batch).
    NumberTaken,
}

impl Refusal {
    /// Whether the refused row is kept as a conflict entry, as a stale form
    /// is.
    pub fn is_kept(self) -> bool {
        matches!(self, Refusal::Stale | Refusal::Deleted)
    }
}

/// A row decided under the lock, or a clean update still to write.
enum Applied<'a> {
    Done(RowDecision),
    Update(&'a Student, &'a StudentValues),
}

/// Writes `rows` of import `import` for `writer` in `txn`, each decided
/// under its lock; the decisions in the rows' order. Every revision written
/// names the import.
pub async fn write(
    txn: &DatabaseTransaction,
    writer: &str,
    import: &str,
    rows: &[RowCommand<'_>],
) -> Result<Vec<RowDecision>, ProtocolError> {
    steps::may_write(txn, writer).await?;
    let locked = lock(txn, rows).await?;
    let author = Author {
        registrar: writer,
        at: now(),
        reason: None,
        submission: None,
        import: Some(import),
    };
    let values: Vec<Option<StudentValues>> = rows
        .iter()
        .map(|row| as_written(row, row.student_id.and_then(|id| locked.get(&id))))
        .collect();
    let taken = taken_numbers(txn, rows, &values, &locked).await?;
    let mut applied = Vec::with_capacity(rows.len());
    for ((row, values), taken) in rows.iter().zip(&values).zip(taken) {
        let current = row.student_id.and_then(|id| locked.get(&id));
        // A row naming no student is refused as such, whatever its number.
        let unknown = row.student_id.is_some() && current.is_none();
        applied.push(if taken && !unknown {
            Applied::Done(refused(Refusal::NumberTaken, current.map(|c| c.version)))
        } else {
            apply(txn, row, values.as_ref(), &locked, &author).await?
        });
    }
    let updates: Vec<(&Student, &StudentValues)> = applied
        .iter()
        .filter_map(|a| match a {
            Applied::Update(current, values) => Some((*current, *values)),
            Applied::Done(_) => None,
        })
        .collect();
    let written = store::update_many_guarded(txn, &updates, Action::Imported, &author).await?;
    let mut decided = Vec::with_capacity(rows.len());
    for (row, applied) in rows.iter().zip(applied) {
        decided.push(match applied {
            Applied::Done(d) => d,
            Applied::Update(current, _) if written.contains(&current.id) => {
                done(RowResult::Written, Some(current.version + 1))
            }
            Applied::Update(current, _) => {
                keep(txn, writer, row, current).await?;
                refused(Refusal::Stale, Some(current.version))
            }
        });
    }
    Ok(decided)
}

/// Keeps `rows` (refused, nothing of their transaction written) as
/// conflict entries, their students locked in id order.
pub async fn keep_refused(
    txn: &DatabaseTransaction,
    writer: &str,
    rows: &[RowCommand<'_>],
) -> Result<(), ProtocolError> {
    let locked = lock(txn, rows).await?;
    for row in rows {
        if let Some(current) = row.student_id.and_then(|id| locked.get(&id)) {
            keep(txn, writer, row, current).await?;
        }
    }
    Ok(())
}

/// Locks the students of the rows that may write them (an invalid row
/// never does, and may name a student another row names too).
async fn lock(
    txn: &DatabaseTransaction,
    rows: &[RowCommand<'_>],
) -> Result<HashMap<i64, Student>, ProtocolError> {
    let ids = rows
        .iter()
        .filter(|r| r.values.is_some())
        .filter_map(|r| r.student_id)
        .collect();
    steps::locked_in_id_order(txn, ids).await
}

fn done(result: RowResult, version: Option<i64>) -> RowDecision {
    RowDecision {
        result,
        version,
        refusal: None,
    }
}

fn refused(refusal: Refusal, version: Option<i64>) -> RowDecision {
    RowDecision {
        result: RowResult::Refused,
        version,
        refusal: Some(refusal),
    }
}

/// Decides `row` under the lock: creates, unchanged and refused rows are
/// done here; a clean update is left for [`write`] to write with the
/// others of its transaction.
async fn apply<'a>(
    txn: &DatabaseTransaction,
    row: &RowCommand<'_>,
    values: Option<&'a StudentValues>,
    locked: &'a HashMap<i64, Student>,
    author: &Author<'_>,
) -> Result<Applied<'a>, ProtocolError> {
    let Some(values) = values else {
        return Ok(Applied::Done(refused(Refusal::Invalid, None)));
    };
    let Some(id) = row.student_id else {
        let created = store::insert_as(txn, values, Action::Imported, author).await?;
        return Ok(Applied::Done(done(
            RowResult::Written,
            Some(created.version),
        )));
    };
    let Some(current) = locked.get(&id) else {
        return Ok(Applied::Done(refused(Refusal::Unknown, None)));
    };
    let at_version = match row.version {
        Some(version) if judge::needs_revision(values, version, current) => {
            revisions::at_version(txn, id, version).await?
        }
        _ => None,
    };
    match judge::import_row(values, row.version, Some(current), at_version.as_ref()) {
        RowOutcome::Unchanged => Ok(Applied::Done(done(
            RowResult::Unchanged,
            Some(current.version),
        ))),
        RowOutcome::Update => Ok(Applied::Update(current, values)),
        outcome => {
            keep(txn, author.registrar, row, current).await?;
            let refusal = match outcome {
                RowOutcome::Deleted => Refusal::Deleted,
                _ => Refusal::Stale,
            };
            Ok(Applied::Done(refused(refusal, Some(current.version))))
        }
    }
}

/// The values `row` writes over `current`: the file's, with the record's
/// own values of the fields the file has no column for.
fn as_written(row: &RowCommand<'_>, current: Option<&Student>) -> Option<StudentValues> {
    let mut values = row.values?.clone();
    if let Some(current) = current {
        keep_stored(&mut values, row.keeps, current);
    }
    Some(values)
}

/// Which rows give a student number that is taken: by another student
/// (looked up in one statement, before any of the batch's writes, since a
/// unique violation would abort the whole transaction), or by an earlier
/// row of the batch. Such a row is refused; the others go on. A number
/// taken by a writer after this look-up makes the unique index refuse the
/// batch, which then runs again and finds it here.
async fn taken_numbers(
    txn: &DatabaseTransaction,
    rows: &[RowCommand<'_>],
    values: &[Option<StudentValues>],
    locked: &HashMap<i64, Student>,
) -> Result<Vec<bool>, ProtocolError> {
    let changed = rows
        .iter()
        .zip(values)
        .filter_map(|(row, values)| given(row, values, locked))
        .filter(|(_, unchanged)| !unchanged)
        .map(|(number, _)| number);
    let holders = numbers::holders(txn, changed).await?;
    let mut claimed: HashMap<&str, Option<i64>> = HashMap::new();
    Ok(rows
        .iter()
        .zip(values)
        .map(|(row, row_values)| {
            let Some((number, _)) = given(row, row_values, locked) else {
                return false;
            };
            let held = holders
                .get(number.as_str())
                .is_some_and(|holder| Some(holder.id) != row.student_id);
            let twice = claimed
                .insert(number.as_str(), row.student_id)
                .is_some_and(|by| by.is_none() || by != row.student_id);
            held || twice
        })
        .collect())
}

/// The number a row's values give, and whether it is the one its student
/// has already.
fn given<'v>(
    row: &RowCommand<'_>,
    values: &'v Option<StudentValues>,
    locked: &HashMap<i64, Student>,
) -> Option<(&'v StudentNumber, bool)> {
    let number = values.as_ref()?.number.as_ref()?;
    let current = row.student_id.and_then(|id| locked.get(&id));
    let unchanged = current.is_some_and(|c| c.student_number.as_deref() == Some(number.as_str()));
    Some((number, unchanged))
}

/// Keeps the refused row in the record's history, as a stale form is kept.
async fn keep(
    txn: &DatabaseTransaction,
    writer: &str,
    row: &RowCommand<'_>,
    current: &Student,
) -> Result<(), ProtocolError> {
    let values = row.values.map(StudentForm::from);
    conflicts::record(
        txn,
        RejectedSubmission {
            student_id: current.id,
            attempted: Attempt::Update,
            submitted_version: row.version.unwrap_or(0),
            current_version: current.version,
            values: values.as_ref(),
            registrar: writer,
            reason: None,
        },
    )
    .await?;
    Ok(())
}
