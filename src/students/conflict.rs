//! Comparisons of a student's values, with no database in sight:
//!
//! - the three-way comparison a stale submission is shown: the values when
//!   the form was opened (the base), the values submitted (yours) and the
//!   values stored now (current), and the merge of yours onto current;
//! - [`diff`], the one comparison of two revisions, which the conflict
//!   pages, the history and the change log show (the last two through
//!   [`revision_changes`]).

use super::form::StudentForm;
use super::store::{Action, Revision, Student};
use crate::domain::{Disclosure, Field, confidential};
use crate::views::Instant;

/// One field compared three ways.
#[derive(Debug, Clone)]
pub struct FieldComparison {
    pub field: Field,
    /// The value when the form was opened; `None` if that version is unknown.
    pub base: Option<String>,
    /// What the registrar submitted, as typed.
    pub yours: String,
    pub current: String,
    pub changed_by_you: bool,
    pub changed_by_them: bool,
}

impl FieldComparison {
    fn new(field: Field, base: Option<String>, yours: &str, current: String) -> Self {
        let yours_canonical = canonical(field, yours);
        // An unticked box sends nothing: shown as the flag it means.
        let yours = match field.is_flag() {
            true => &yours_canonical,
            false => yours,
        };
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
            base,
            yours: yours.to_owned(),
            current,
            changed_by_you,
            changed_by_them,
        }
    }

    pub fn label(&self) -> &'static str {
        self.field.label()
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

    /// The status as a stable word for `data-status` (contract §2):
    /// `conflict`, `alike`, `yours`, `theirs`, `unchanged`.
    pub fn status_word(&self) -> &'static str {
        match (self.changed_by_you, self.changed_by_them) {
            _ if self.is_true_conflict() => "conflict",
            (true, true) => "alike",
            (true, false) => "yours",
            (false, true) => "theirs",
            (false, false) => "unchanged",
        }
    }

    pub fn base_text(&self) -> &str {
        self.base.as_deref().unwrap_or("(unknown)")
    }
}

/// How the value compares as stored (GPA `3.5` is `3.50`, text trimmed);
/// invalid input stays as typed, trimmed.
fn canonical(field: Field, value: &str) -> String {
    field
        .check(value)
        .unwrap_or_else(|_| value.trim().to_owned())
}

/// A committed change the registrar had not seen.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: i64,
    pub action: Action,
    pub registrar: String,
    pub at: Instant,
    /// Labels of the fields it changed.
    pub fields: Vec<&'static str>,
    /// Why, if its author said.
    pub reason: Option<String>,
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

    /// Whether the student is confidential now.
    pub fn is_confidential(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.field == Field::Confidential && f.current == confidential::text(true))
    }
}

/// Compares a stale submission with the student as stored now, given the
/// revisions from `seen_version` on (`store::revisions::since`).
pub fn compare(
    current: &Student,
    seen_version: i64,
    yours: &StudentForm,
    since: &[Revision],
) -> Comparison {
    let base = since
        .iter()
        .find(|r| r.version == seen_version)
        .map(StudentForm::from);
    let now = StudentForm::from(current);
    let fields = Field::ALL
        .into_iter()
        .map(|field| {
            FieldComparison::new(
                field,
                base.as_ref().map(|b| b.value(field).to_owned()),
                yours.value(field),
                now.value(field).to_owned(),
            )
        })
        .collect();
    Comparison {
        student_id: current.id,
        seen_version,
        current_version: current.version,
        fields,
        changes: changes_after(since, seen_version),
    }
}

/// Summaries of the revisions after `seen_version`, from revisions sorted
/// by version.
pub fn changes_after(revisions: &[Revision], seen_version: i64) -> Vec<Change> {
    with_previous(revisions)
        .filter(|(_, revision)| revision.version > seen_version)
        .map(|(before, after)| Change {
            version: after.version,
            action: after.action,
            registrar: after.registrar.clone(),
            at: after.at.into(),
            // Without the version before it, what it changed is unknown.
            fields: before.map_or_else(Vec::new, |before| {
                diff(Some(before), after)
                    .into_iter()
                    .map(|change| change.field.label())
                    .collect()
            }),
            reason: after.reason.clone(),
        })
        .collect()
}

/// Each of `revisions` (sorted by version) with the revision of the
/// version just before it, when that is among them.
pub fn with_previous(
    revisions: &[Revision],
) -> impl Iterator<Item = (Option<&Revision>, &Revision)> {
    revisions.iter().enumerate().map(|(i, revision)| {
        let before = i
            .checked_sub(1)
            .map(|j| &revisions[j])
            .filter(|before| before.version == revision.version - 1);
        (before, revision)
    })
}

/// One field's value before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: Field,
    /// `None` when there is no version before (the first one).
    pub old: Option<String>,
    pub new: String,
    /// The values are withheld from this reader (a confidential student's
    /// address, contract §15): `old` and `new` are empty, never sent; the
    /// reader learns only that the field changed.
    pub withheld: bool,
}

impl FieldChange {
    /// The change as a reader who is denied the field's values sees it.
    fn withheld(self) -> FieldChange {
        FieldChange {
            old: None,
            new: String::new(),
            withheld: true,
            ..self
        }
    }
}

/// `changes` as a reader with `disclosure` sees them, of a student whose
/// hold (now, or in the versions compared) is `confidential`.
pub fn withhold(
    changes: Vec<FieldChange>,
    disclosure: Disclosure,
    confidential: bool,
) -> Vec<FieldChange> {
    changes
        .into_iter()
        .map(
            |change| match disclosure.withholds(change.field, confidential) {
                true => change.withheld(),
                false => change,
            },
        )
        .collect()
}

/// What revision `after` changed from `before` (its student's version
/// before it, when known), as the history and the change log show it: a
/// delete keeps the last values and changes none of them; every other
/// action its [`diff`].
pub fn revision_changes(before: Option<&Revision>, after: &Revision) -> Vec<FieldChange> {
    match after.action {
        Action::Deleted => Vec::new(),
        Action::Created
        | Action::Updated
        | Action::Imported
        | Action::Restored
        | Action::Undeleted => diff(before, after),
    }
}

/// The fields `after` changed from `before`, in form order: every field
/// with a value when there is no `before` (an optional field left blank
/// is not news).
pub fn diff(before: Option<&Revision>, after: &Revision) -> Vec<FieldChange> {
    let old = before.map(StudentForm::from);
    let new = StudentForm::from(after);
    Field::ALL
        .into_iter()
        .filter_map(|field| {
            let old = old.as_ref().map(|o| o.value(field).to_owned());
            let new = new.value(field);
            let changed = match &old {
                Some(old) => old != new,
                None => !field.is_blank(new),
            };
            changed.then(|| FieldChange {
                field,
                old,
                new: new.to_owned(),
                withheld: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Field, FieldComparison};

    fn compare(base: Option<&str>, yours: &str, current: &str) -> FieldComparison {
        FieldComparison::new(
            Field::Name,
            base.map(str::to_owned),
            yours,
            current.to_owned(),
        )
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
        let f = FieldComparison::new(Field::Gpa, Some("3.50".into()), "3.5", "3.50".into());
        assert!(!f.changed_by_you);
    }

    #[test]
    fn an_unknown_base_makes_every_difference_a_conflict() {
        assert!(compare(None, "Ada L", "Ada B").is_true_conflict());
        assert!(!compare(None, "Ada B", "Ada B").is_true_conflict());
    }
}
