//! The statements of the skeleton, one function each: where a backend's
//! own way of doing a step (a folded `UPDATE … RETURNING` on PostgreSQL and
//! SQLite, which MariaDB lacks) would go, without the skeleton changing.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};

use super::judge::Change;
use super::{Act, Command, Kept, Outcome, ProtocolError, Receipt};
use crate::auth::writer::{self, Writer};
use crate::cluster::failure::{self, Failure};
use crate::cluster::submission::{self, Committed, Submission};
use crate::db::begin_write;
use crate::domain::{Role, StudentNumber, StudentValues};
use crate::presence;
use crate::students::store::numbers::{self, Holder};
use crate::students::store::{self, Action, Author, Student, folded};
use crate::students::values::HasValues;

/// Opens the write transaction (`IMMEDIATE` on SQLite).
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, ProtocolError> {
    Ok(begin_write(db).await?)
}

/// The student, locked until `txn` ends.
pub async fn locked(txn: &DatabaseTransaction, id: i64) -> Result<Student, ProtocolError> {
    store::lock_for_update(txn, id)
        .await?
        .ok_or(ProtocolError::NotFound)
}

/// The writer may still change records (contract §9): checked inside the
/// write transaction, after the row lock, so a demotion or disable
/// committed while the write waited is seen.
pub async fn may_write(txn: &DatabaseTransaction, name: &str) -> Result<Writer, ProtocolError> {
    Ok(writer::recheck_named(txn, name, Role::Registrar).await?)
}

/// [`locked`], then [`may_write`]: in one statement where the backend can
/// lock both rows in one ([`folded::lock_with_writer`]); when it finds no
/// row, the two steps one after the other say which is missing.
pub async fn locked_by(
    txn: &DatabaseTransaction,
    id: i64,
    name: &str,
) -> Result<(Student, Writer), ProtocolError> {
    if folded::locks_with_writer(txn.get_database_backend())
        && let Some((student, account)) = folded::lock_with_writer(txn, id, name).await?
    {
        return Ok((student, writer::judged(Some(account), Role::Registrar)?));
    }
    let student = locked(txn, id).await?;
    Ok((student, may_write(txn, name).await?))
}

/// What looking the command's submission up among the committed ones
/// found.
pub enum Looked<'a> {
    /// The submission id to record with this write: the command's, or
    /// none when the id already went with another change (the same id
    /// with other values, or another record's: another change).
    Fresh(Option<&'a Submission>),
    /// This command, sent again (it wrote this student): nothing is to be
    /// written.
    Replayed { student_id: i64 },
}

/// Looks the command's submission up among the committed ones.
pub async fn look_up<'a>(
    txn: &DatabaseTransaction,
    command: &Command<'a>,
) -> Result<Looked<'a>, ProtocolError> {
    let Some(submission) = command.submission else {
        return Ok(Looked::Fresh(None));
    };
    Ok(match submission::committed(txn, submission).await? {
        Some(committed) if is_replay(&committed, command) => Looked::Replayed {
            student_id: committed.student_id,
        },
        Some(_) => Looked::Fresh(None),
        None => Looked::Fresh(Some(submission)),
    })
}

/// Whether `committed` is this command sent again (the same values of
/// the same act), not another change made with its id.
fn is_replay(committed: &Committed, command: &Command<'_>) -> bool {
    let same_values = |values: &crate::students::values::StudentForm| {
        values.parse().is_ok_and(|values| committed.holds(&values))
    };
    match command.act {
        Act::Create { values } => committed.action == Action::Created && same_values(values),
        Act::Edit { id, values, .. } => committed.student_id == id && same_values(values),
        act => act
            .target()
            .is_some_and(|(id, _)| committed.student_id == id && committed.action == act.action()),
    }
}

/// The number `values` give and the student other than `current` that
/// holds it, when the values change the number to one that is taken.
/// Only a changed number is looked up: an ordinary save costs no round
/// trip. Two writers giving one number at once both pass this; the unique
/// index refuses the second, which runs again and finds the first here.
pub async fn number_taken(
    txn: &DatabaseTransaction,
    values: &StudentValues,
    current: Option<&Student>,
) -> Result<Option<(StudentNumber, Holder)>, ProtocolError> {
    let Some(number) = &values.number else {
        return Ok(None);
    };
    if current.is_some_and(|c| c.student_number.as_deref() == Some(number.as_str())) {
        return Ok(None);
    }
    Ok(numbers::holder(txn, number, current.map(|c| c.id))
        .await?
        .map(|holder| (number.clone(), holder)))
}

/// The guarded write of `change` over `current` with its revision: the
/// student as written, or `None` when the guard matched no row.
pub async fn write(
    txn: &DatabaseTransaction,
    current: &Student,
    change: &Change,
    action: Action,
    author: &Author<'_>,
) -> Result<Option<Student>, ProtocolError> {
    Ok(match change {
        Change::Values(values) => {
            store::update_guarded(txn, current, values, action, author).await?
        }
        Change::Delete => store::delete_guarded(txn, current, author).await?,
        Change::Undelete => store::undelete_guarded(txn, current, author).await?,
    })
}

/// [`write`], and the writer's presence mark on the student cleared when
/// it wrote (its form is closed): in one statement where the backend can
/// ([`folded::update_clearing`]).
pub async fn write_clearing(
    txn: &DatabaseTransaction,
    current: &Student,
    change: &Change,
    action: Action,
    author: &Author<'_>,
    writer: Writer,
) -> Result<Option<Student>, ProtocolError> {
    if let Change::Values(values) = change
        && folded::updates_clearing(txn.get_database_backend())
    {
        return Ok(folded::update_clearing(txn, current, values, action, author, writer.id).await?);
    }
    let written = write(txn, current, change, action, author).await?;
    if written.is_some() {
        presence::store::clear_in(txn, writer.id, current.id).await?;
    }
    Ok(written)
}

/// Keeps the client's receipt of `outcome` in `txn`, if it asked for
/// one; a receipt another request took over stops the write.
pub async fn keep_receipt(
    txn: &DatabaseTransaction,
    receipt: Option<&dyn Receipt>,
    outcome: &Outcome,
) -> Result<(), ProtocolError> {
    match receipt {
        Some(receipt) => match receipt.keep(txn, outcome).await? {
            Kept::Kept => Ok(()),
            Kept::ClaimLost => Err(ProtocolError::ReceiptLost),
        },
        None => Ok(()),
    }
}

/// Commits a write: a connection lost on the way leaves the outcome
/// unknown; an abort at commit (a Galera certification failure) committed
/// nothing and may be retried.
pub async fn commit(txn: DatabaseTransaction) -> Result<(), ProtocolError> {
    txn.commit()
        .await
        .map_err(|err| match failure::classify_commit(&err) {
            Failure::CommitUnknown => ProtocolError::CommitUnknown(err),
            _ => err.into(),
        })
}

/// The students `ids` name, locked in id order (so two batches, or a batch
/// and a single save, never wait for each other in a circle), at most
/// [`store::bulk::UPDATES_PER_STATEMENT`] a statement.
pub async fn locked_in_id_order(
    txn: &DatabaseTransaction,
    mut ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, Student>, ProtocolError> {
    ids.sort_unstable();
    ids.dedup();
    let mut locked = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(store::bulk::UPDATES_PER_STATEMENT) {
        for found in store::lock_many_for_update(txn, chunk).await? {
            locked.insert(found.id, found);
        }
    }
    Ok(locked)
}
