//! What a row of an import would do (contract §6), decided the same way by
//! the preview (reading) and by the confirm (under the row lock).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::parse::problems::{Problem, ProblemAt};
use super::parse::row::Row;
use crate::db::entities::import_row::RowOutcome;
use crate::db::entities::student;
use crate::domain::{Field, StudentNumber};
use crate::students::protocol::judge::{import_row as judge, needs_revision};
use crate::students::store::numbers::{self, Holder};
use crate::students::store::{Student, revisions};
use crate::students::values::keep_stored;

/// The problem of a row whose version the record never had.
fn version_never_seen(line: u64, version: i64, current: &Student) -> Problem {
    Problem {
        line,
        at: ProblemAt::Version,
        message: format!(
            "This record has never been at version {version} (it is at version {}): \
             the version must be one the record had, as the export gives it.",
            current.version
        ),
    }
}

/// The problem of a row whose student number another student holds.
fn number_taken(line: u64, number: &StudentNumber, holder: &Holder) -> Problem {
    Problem {
        line,
        at: ProblemAt::Field(Field::Number),
        message: format!(
            "{number} is already the student number of {} (record {}): a number belongs to \
             one student.",
            holder.name, holder.id
        ),
    }
}

/// The outcome of each of `rows` against the database as it is now (no
/// lock: the confirm decides again under its own). A row whose version the
/// record never had is made invalid, with that problem.
pub async fn classify(
    db: &impl ConnectionTrait,
    rows: &mut [Row],
) -> Result<Vec<RowOutcome>, DbErr> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|row| row.checked.is_ok())
        .filter_map(|row| row.id)
        .collect();
    let mut students: HashMap<i64, Student> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(super::store::rows::ROWS_PER_STATEMENT) {
        for found in student::Entity::find()
            .filter(student::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            students.insert(found.id, found);
        }
    }
    let given: Vec<StudentNumber> = rows
        .iter()
        .filter_map(|row| row.checked.as_ref().ok()?.number.clone())
        .collect();
    let mut holders = HashMap::new();
    for chunk in given.chunks(super::store::rows::ROWS_PER_STATEMENT) {
        holders.extend(numbers::holders(db, chunk).await?);
    }
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        let current = row.id.and_then(|id| students.get(&id));
        if let (Some(current), Some(version), Ok(_)) = (current, row.version, &row.checked)
            && version > current.version
        {
            row.checked = Err(vec![version_never_seen(row.line, version, current)]);
        }
        if let Ok(fields) = &row.checked
            && let Some(number) = &fields.number
            && let Some(holder) = holders.get(number.as_str())
            && Some(holder.id) != row.id
        {
            row.checked = Err(vec![number_taken(row.line, number, holder)]);
        }
        let Ok(fields) = &mut row.checked else {
            outcomes.push(RowOutcome::Invalid);
            continue;
        };
        if let Some(current) = current {
            // A field the file has no column for is left as it is.
            keep_stored(fields, row.absent, current);
        }
        let fields = &*fields;
        let at_version = match (current, row.version) {
            (Some(current), Some(version)) if needs_revision(fields, version, current) => {
                revisions::at_version(db, current.id, version).await?
            }
            _ => None,
        };
        outcomes.push(judge(fields, row.version, current, at_version.as_ref()));
    }
    Ok(outcomes)
}
