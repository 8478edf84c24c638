//! The change log's entries as the page and the CSV show them: a revision
//! with the record it changed and what it changed (the history's one diff,
//! [`revision_changes`]), or an import as one entry.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::db::{self, Row};
use crate::db::entities::student;
use crate::domain::Disclosure;
use crate::students::conflict::{FieldChange, revision_changes, withhold};
use crate::students::paths;
use crate::students::store::import_entries::ImportEntry;
use crate::students::store::{Action, Revision};

/// The record an entry is about, as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedStudent {
    pub id: i64,
    /// Its name now (its last one, when deleted).
    pub name: String,
    /// Its student number now, if it has one.
    pub number: Option<String>,
    pub deleted: bool,
    /// It is confidential now (the log marks it).
    pub confidential: bool,
}

impl LoggedStudent {
    pub fn href(&self) -> String {
        paths::student(self.id)
    }

    pub fn history_href(&self) -> String {
        paths::history(self.id)
    }
}

/// One committed change of one student.
#[derive(Debug, Clone)]
pub struct ChangeEntry {
    pub revision_id: i64,
    pub student: LoggedStudent,
    pub action: Action,
    pub version: i64,
    pub registrar: String,
    pub at: DateTime<Utc>,
    /// Each field it changed, old → new (none for a delete).
    pub changes: Vec<FieldChange>,
    pub reason: Option<String>,
    /// The import that wrote it, if one did.
    pub import_id: Option<String>,
}

/// An import: every row it wrote, as one entry.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub import_id: String,
    pub registrar: String,
    pub filename: String,
    /// When its first row was written.
    pub at: DateTime<Utc>,
    pub rows: i64,
    /// Its place in the log.
    pub first_revision: i64,
}

impl From<ImportEntry> for ImportSummary {
    fn from(entry: ImportEntry) -> Self {
        ImportSummary {
            import_id: entry.import_id,
            registrar: entry.registrar,
            filename: entry.filename,
            at: entry.at,
            rows: entry.rows,
            first_revision: entry.first_revision,
        }
    }
}

impl ImportSummary {
    /// "1 row", "9,812 rows".
    pub fn rows_text(&self) -> String {
        let noun = if self.rows == 1 { "row" } else { "rows" };
        format!("{} {noun}", grouped(self.rows))
    }
}

/// One entry of the log.
#[derive(Debug, Clone)]
pub enum Entry {
    Change(ChangeEntry),
    Import(ImportSummary),
}

impl Entry {
    /// The revision it stands at in the log: the cursor of the page after.
    pub fn revision_id(&self) -> i64 {
        match self {
            Entry::Change(c) => c.revision_id,
            Entry::Import(i) => i.first_revision,
        }
    }
}

/// The entries of `rows`, with the records they are about and what each
/// revision changed (its student's previous revision read alongside), as
/// a reader with `disclosure` sees them.
pub async fn entries(
    db: &impl ConnectionTrait,
    rows: Vec<Row>,
    disclosure: Disclosure,
) -> Result<Vec<Entry>, DbErr> {
    let revisions: Vec<&Revision> = rows
        .iter()
        .filter_map(|row| match row {
            Row::Revision(r) => Some(r),
            Row::Import(_) => None,
        })
        .collect();
    let previous: HashMap<(i64, i64), Revision> = db::previous(db, &revisions)
        .await?
        .into_iter()
        .map(|r| ((r.student_id, r.version), r))
        .collect();
    let ids: Vec<i64> = revisions.iter().map(|r| r.student_id).collect();
    let students: HashMap<i64, student::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        student::Entity::find()
            .filter(student::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| match row {
            Row::Revision(revision) => {
                let before = previous.get(&(revision.student_id, revision.version - 1));
                let now = students.get(&revision.student_id);
                let held_now = now.is_some_and(|s| s.confidential);
                let held = held_now
                    || revision.confidential
                    || before.is_some_and(|before| before.confidential);
                Entry::Change(ChangeEntry {
                    revision_id: revision.id,
                    student: LoggedStudent {
                        id: revision.student_id,
                        name: now.map_or_else(|| revision.name.clone(), |s| s.name.clone()),
                        number: now.and_then(|s| s.student_number.clone()),
                        deleted: now.is_some_and(|s| s.deleted_at.is_some()),
                        confidential: held_now,
                    },
                    action: revision.action,
                    version: revision.version,
                    changes: withhold(revision_changes(before, &revision), disclosure, held),
                    registrar: revision.registrar,
                    at: revision.at,
                    reason: revision.reason,
                    import_id: revision.import_id,
                })
            }
            Row::Import(import) => Entry::Import(import.into()),
        })
        .collect())
}

/// `n` with its thousands separated by commas: `9,812`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(9_812), "9,812");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(-12_345), "-12,345");
    }
}
