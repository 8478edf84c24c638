//! What a row of an import would do (contract §6), decided the same way by
//! the preview (reading) and by the confirm (under the row lock).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::parse::{Problem, ProblemAt, Row};
use crate::db::entities::import_row::RowOutcome;
use crate::db::entities::student;
use crate::db::entities::student::gpa_column;
use crate::domain::StudentFields;
use crate::students::store::{self, Revision, Student, revisions};

/// Whether the file's values are exactly those of the revision.
fn equals_revision(revision: &Revision, fields: &StudentFields) -> bool {
    revision.name == fields.name.as_str()
        && revision.address == fields.address.as_str()
        && revision.gpa_hundredths == gpa_column(fields.gpa)
}

/// The outcome of a valid row asking to write `fields` over `version` of
/// `current` (`None`: no such student), given the revision at `version`
/// when the versions differ. A row that equals what is stored, or what was
/// there at its version (the registrar did not touch it), is unchanged.
pub fn judge(
    fields: &StudentFields,
    version: Option<i64>,
    current: Option<&Student>,
    at_version: Option<&Revision>,
) -> RowOutcome {
    let Some(version) = version else {
        return RowOutcome::Create;
    };
    let Some(current) = current else {
        return RowOutcome::Unknown;
    };
    if version > current.version {
        // A version the record never had: not a stale copy of it, and the
        // record may reach it later with other values.
        return RowOutcome::Invalid;
    }
    if current.deleted_at.is_some() {
        return RowOutcome::Deleted;
    }
    if store::is_unchanged(current, fields) {
        return RowOutcome::Unchanged;
    }
    if current.version == version {
        return RowOutcome::Update;
    }
    if at_version.is_some_and(|r| r.version == version && equals_revision(r, fields)) {
        return RowOutcome::Unchanged;
    }
    RowOutcome::Conflict
}

/// Whether judging a row over `current` needs the revision at its version.
pub fn needs_revision(fields: &StudentFields, version: i64, current: &Student) -> bool {
    current.deleted_at.is_none()
        && current.version != version
        && !store::is_unchanged(current, fields)
}

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
    for chunk in ids.chunks(super::store::ROWS_PER_STATEMENT) {
        for found in student::Entity::find()
            .filter(student::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            students.insert(found.id, found);
        }
    }
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        let current = row.id.and_then(|id| students.get(&id));
        if let (Some(current), Some(version), Ok(_)) = (current, row.version, &row.checked)
            && version > current.version
        {
            row.checked = Err(vec![version_never_seen(row.line, version, current)]);
        }
        let Ok(fields) = &row.checked else {
            outcomes.push(RowOutcome::Invalid);
            continue;
        };
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
