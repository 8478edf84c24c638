//! The three-way comparison a stale submission is shown: the values when
//! the form was opened (the base), the values submitted (yours) and the
//! values stored now (current), and the merge of yours onto current.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::form::StudentForm;
use super::store::{Revision, Student};
use crate::db::entities::revision;
use crate::domain::{Gpa, Name};
use crate::views::Instant;

/// One field compared three ways.
#[derive(Debug, Clone)]
pub struct FieldComparison {
    /// The form field's name: `name`, `address` or `gpa`.
    pub field: &'static str,
    pub label: &'static str,
    /// The value when the form was opened; `None` if that version is unknown.
    pub base: Option<String>,
    /// What the registrar submitted, as typed.
    pub yours: String,
    pub current: String,
    pub changed_by_you: bool,
    pub changed_by_them: bool,
}

impl FieldComparison {
    fn new(field: &'static str, base: Option<String>, yours: &str, current: String) -> Self {
        let yours_canonical = canonical(field, yours);
        let changed_by_you = match &base {
            Some(base) => &yours_canonical != base,
            None => yours_canonical != current,
        };
        let changed_by_them = match &base {
            Some(base) => &current != base,
            // Unknown base: whatever differs from current may be theirs.
            None => changed_by_you,
        };
        FieldComparison {
            field,
            label: label(field),
            base,
            yours: yours.to_owned(),
            current,
            changed_by_you,
            changed_by_them,
        }
    }

    /// Both sides changed this field, to different values: the registrar
    /// must choose.
    pub fn is_true_conflict(&self) -> bool {
        self.changed_by_you
            && self.changed_by_them
            && canonical(self.field, &self.yours) != self.current
    }

    /// The merge's value: the registrar's where they changed the field,
    /// the current one elsewhere (for a true conflict, the preselected
    /// choice).
    pub fn merged(&self) -> &str {
        if self.changed_by_you {
            &self.yours
        } else {
            &self.current
        }
    }

    pub fn status(&self) -> &'static str {
        match (self.changed_by_you, self.changed_by_them) {
            _ if self.is_true_conflict() => "Changed by you and by someone else",
            (true, true) => "Changed to the same value on both sides",
            (true, false) => "Changed by you",
            (false, true) => "Changed by someone else",
            (false, false) => "Unchanged",
        }
    }

    pub fn base_text(&self) -> &str {
        self.base.as_deref().unwrap_or("(unknown)")
    }
}

/// How the value compares as stored (GPA `3.5` is `3.50`, text trimmed);
/// invalid input stays as typed, trimmed.
fn canonical(field: &str, value: &str) -> String {
    match field {
        "gpa" => Gpa::parse(value).map_or_else(|_| value.trim().to_owned(), |g| g.to_string()),
        "name" => Name::parse(value).map_or_else(|_| value.trim().to_owned(), |n| n.to_string()),
        _ => value.trim().to_owned(),
    }
}

pub fn label(field: &str) -> &'static str {
    match field {
        "name" => "Name",
        "address" => "Address",
        _ => "GPA",
    }
}

/// A committed change the registrar had not seen.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: i64,
    pub action: String,
    pub registrar: String,
    pub at: Instant,
    /// Labels of the fields it changed.
    pub fields: Vec<&'static str>,
}

/// Everything the conflict page shows.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub student_id: i64,
    pub seen_version: i64,
    pub current_version: i64,
    pub fields: Vec<FieldComparison>,
    /// The changes made since `seen_version`, oldest first.
    pub changes: Vec<Change>,
}

impl Comparison {
    pub fn has_true_conflicts(&self) -> bool {
        self.fields.iter().any(FieldComparison::is_true_conflict)
    }
}

/// Most changes a conflict page lists; older ones are in the history.
const LISTED_CHANGES: i64 = 50;

/// The revision at `version` (the base) and the ones after it, oldest
/// first, at most the newest [`LISTED_CHANGES`] of those: a form opened long
/// ago (or a made-up version) never loads a whole long history.
pub async fn revisions_since(
    db: &impl ConnectionTrait,
    id: i64,
    version: i64,
) -> Result<Vec<Revision>, DbErr> {
    let mut newest = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Version.gte(version))
        .order_by_desc(revision::Column::Version)
        .limit(LISTED_CHANGES as u64 + 1)
        .all(db)
        .await?;
    newest.reverse();
    if newest
        .first()
        .is_some_and(|oldest| oldest.version > version)
    {
        // The base fell outside the window: fetch it on its own.
        if let Some(base) = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(id))
            .filter(revision::Column::Version.eq(version))
            .one(db)
            .await?
        {
            newest.insert(0, base);
        }
    }
    Ok(newest)
}

/// The revision's (or student's) field values, formatted as forms show them.
pub fn values(name: &str, address: &str, gpa_hundredths: i16) -> [(&'static str, String); 3] {
    [
        ("name", name.to_owned()),
        ("address", address.to_owned()),
        ("gpa", gpa_text(gpa_hundredths)),
    ]
}

pub fn gpa_text(hundredths: i16) -> String {
    u16::try_from(hundredths)
        .ok()
        .and_then(Gpa::from_hundredths)
        .map_or_else(|| hundredths.to_string(), |g| g.to_string())
}

/// Compares a stale submission with the student as stored now.
pub async fn compare(
    db: &impl ConnectionTrait,
    current: &Student,
    seen_version: i64,
    yours: &StudentForm,
) -> Result<Comparison, DbErr> {
    let since = revisions_since(db, current.id, seen_version).await?;
    let base = since.iter().find(|r| r.version == seen_version);
    let base_values = base.map(|r| values(&r.name, &r.address, r.gpa_hundredths));
    let current_values = values(&current.name, &current.address, current.gpa_hundredths);
    let submitted = [&yours.name, &yours.address, &yours.gpa];

    let fields = current_values
        .into_iter()
        .zip(submitted)
        .enumerate()
        .map(|(i, ((field, current), yours))| {
            let base = base_values.as_ref().map(|b| b[i].1.clone());
            FieldComparison::new(field, base, yours, current)
        })
        .collect();

    Ok(Comparison {
        student_id: current.id,
        seen_version,
        current_version: current.version,
        fields,
        changes: changes_after(&since, seen_version),
    })
}

/// Summaries of the revisions after `seen_version`, from revisions sorted
/// by version; each is compared with the one before it, when present.
pub fn changes_after(revisions: &[Revision], seen_version: i64) -> Vec<Change> {
    revisions
        .iter()
        .enumerate()
        .filter(|(_, revision)| revision.version > seen_version)
        .map(|(i, revision)| {
            let before = i
                .checked_sub(1)
                .map(|j| &revisions[j])
                .filter(|before| before.version == revision.version - 1);
            summarize(before, revision)
        })
        .collect()
}

fn summarize(before: Option<&Revision>, after: &Revision) -> Change {
    let after_values = values(&after.name, &after.address, after.gpa_hundredths);
    let fields = match before {
        Some(before) => {
            let before_values = values(&before.name, &before.address, before.gpa_hundredths);
            after_values
                .iter()
                .zip(before_values.iter())
                .filter(|(a, b)| a.1 != b.1)
                .map(|(a, _)| label(a.0))
                .collect()
        }
        None => Vec::new(),
    };
    Change {
        version: after.version,
        action: after.action.clone(),
        registrar: after.registrar.clone(),
        at: after.at.into(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::FieldComparison;

    fn compare(base: Option<&str>, yours: &str, current: &str) -> FieldComparison {
        FieldComparison::new("name", base.map(str::to_owned), yours, current.to_owned())
    }

    #[test]
    fn a_field_only_you_changed_merges_to_yours() {
        let f = compare(Some("Ada"), "Ada L", "Ada");
        assert!(f.changed_by_you && !f.changed_by_them && !f.is_true_conflict());
        assert_eq!(f.merged(), "Ada L");
    }

    #[test]
    fn a_field_only_they_changed_merges_to_theirs() {
        let f = compare(Some("Ada"), "Ada", "Ada B");
        assert!(!f.changed_by_you && f.changed_by_them && !f.is_true_conflict());
        assert_eq!(f.merged(), "Ada B");
    }

    #[test]
    fn both_changing_a_field_differently_is_a_true_conflict() {
        let f = compare(Some("Ada"), "Ada L", "Ada B");
        assert!(f.is_true_conflict());
        assert_eq!(f.merged(), "Ada L");
        assert!(!compare(Some("Ada"), "Ada B ", "Ada B").is_true_conflict());
    }

    #[test]
    fn gpa_is_compared_by_value_not_by_spelling() {
        let f = FieldComparison::new("gpa", Some("3.50".into()), "3.5", "3.50".into());
        assert!(!f.changed_by_you);
    }

    #[test]
    fn an_unknown_base_makes_every_difference_a_conflict() {
        assert!(compare(None, "Ada L", "Ada B").is_true_conflict());
        assert!(!compare(None, "Ada B", "Ada B").is_true_conflict());
    }
}
