//! Conflict entries: stale submissions refused by the write core, kept with
//! what the writer sent, in the transaction that refused them. No
//! revision, no version change.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use std::collections::BTreeMap;

use super::columns;
use super::rows::{Attempt, ConflictEntry};
use crate::db::entities::conflict;
use crate::domain::{Field, Reason};
use crate::students::values::StudentForm;

/// A submission refused because its version was stale, as it was sent.
#[derive(Debug, Clone)]
pub struct RejectedSubmission<'a> {
    pub student_id: i64,
    pub attempted: Attempt,
    pub submitted_version: i64,
    pub current_version: i64,
    /// The values it sent, as typed (`None`: a delete or an undelete).
    pub values: Option<&'a StudentForm>,
    pub registrar: &'a str,
    /// The reason the submission gave, as typed.
    pub reason: Option<&'a str>,
}

/// The values of a rejected submission that keep to the form's rules (in
/// their checked form; numbers as typed, `3.9` not `3.90`: what the
/// registrar sent), and the names of the fields whose values did not.
#[derive(Debug)]
struct Kept {
    values: BTreeMap<Field, String>,
    reason: Option<String>,
    refused: Vec<&'static str>,
}

/// How a refused reason is named in the `refused` column (fields go by
/// their form names).
pub const REASON: &str = "reason";

impl Kept {
    fn from(rejected: &RejectedSubmission<'_>) -> Self {
        let mut refused = Vec::new();
        let mut values = BTreeMap::new();
        for field in Field::ALL {
            let Some(text) = rejected.values.map(|v| v.value(field)) else {
                continue;
            };
            match field.check(text) {
                Ok(_) if field.is_decimal() => {
                    values.insert(field, text.trim().to_owned());
                }
                Ok(checked) => {
                    values.insert(field, checked);
                }
                Err(_) => refused.push(field.name()),
            }
        }
        let reason = match rejected.reason.map(|r| Reason::parse(Some(r))) {
            Some(Ok(reason)) => reason.map(|r| r.to_string()),
            // A blank reason is no reason, not a refused one.
            None => None,
            Some(Err(_)) => {
                refused.push(REASON);
                None
            }
        };
        Kept {
            values,
            reason,
            refused,
        }
    }

    fn refused_column(&self) -> Option<String> {
        (!self.refused.is_empty()).then(|| self.refused.join(" "))
    }
}

/// Records a rejected submission in the student's history, in the
/// transaction that refused it: the values it sent that keep to the form's
/// rules, and which fields it sent values for that did not (those values
/// are not stored: a history every role reads holds no text the form would
/// refuse).
pub async fn record(
    txn: &DatabaseTransaction,
    rejected: RejectedSubmission<'_>,
) -> Result<(), DbErr> {
    let kept = Kept::from(&rejected);
    let mut entry = conflict::ActiveModel {
        id: NotSet,
        student_id: Set(rejected.student_id),
        attempted: Set(rejected.attempted),
        submitted_version: Set(rejected.submitted_version),
        current_version: Set(rejected.current_version),
        registrar: Set(rejected.registrar.to_owned()),
        at: Set(crate::db::now()),
        reason: Set(kept.reason.clone()),
        refused: Set(kept.refused_column()),
        ..Default::default()
    };
    columns::set_conflict(&mut entry, |field| kept.values.get(&field).cloned());
    conflict::Entity::insert(entry)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Conflict entries refused while the student was at versions
/// `from..=to`, oldest first.
pub async fn at_versions(
    db: &impl ConnectionTrait,
    id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<ConflictEntry>, DbErr> {
    conflict::Entity::find()
        .filter(conflict::Column::StudentId.eq(id))
        .filter(conflict::Column::CurrentVersion.between(from, to))
        .order_by_asc(conflict::Column::Id)
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::{Attempt, Field, Kept, RejectedSubmission, StudentForm};

    fn rejected<'a>(form: &'a StudentForm, reason: Option<&'a str>) -> RejectedSubmission<'a> {
        RejectedSubmission {
            student_id: 1,
            attempted: Attempt::Update,
            submitted_version: 1,
            current_version: 2,
            values: Some(form),
            registrar: "ada",
            reason,
        }
    }

    fn form(name: &str, gpa: &str) -> StudentForm {
        StudentForm {
            name: name.into(),
            address: "1 Main St".into(),
            gpa: gpa.into(),
            student_number: String::new(),
            confidential: String::new(),
        }
    }

    #[test]
    fn values_that_break_the_rules_are_named_not_kept() {
        let long = "x".repeat(2_000);
        let bad = form("Eve\u{202E}", "4.5");
        let kept = Kept::from(&rejected(&bad, Some(&long)));
        assert_eq!(kept.values.get(&Field::Name), None);
        assert_eq!(kept.values.get(&Field::Gpa), None);
        assert_eq!(kept.reason, None);
        assert_eq!(
            kept.values.get(&Field::Address).map(String::as_str),
            Some("1 Main St")
        );
        assert_eq!(kept.refused, ["name", "gpa", "reason"]);
        assert_eq!(kept.refused_column().as_deref(), Some("name gpa reason"));

        let good = form("  Ada ", "3.9");
        let fine = Kept::from(&rejected(&good, Some("typo")));
        assert_eq!(
            fine.values.get(&Field::Name).map(String::as_str),
            Some("Ada")
        );
        assert_eq!(
            fine.values.get(&Field::Gpa).map(String::as_str),
            Some("3.9")
        );
        assert_eq!(fine.reason.as_deref(), Some("typo"));
        assert_eq!(fine.refused_column(), None);

        let plain = form("Ada", "3");
        let blank = Kept::from(&rejected(&plain, Some("   ")));
        assert_eq!(
            (blank.reason.as_deref(), blank.refused_column()),
            (None, None)
        );
        let nul = Kept::from(&rejected(&plain, Some("a\0b\nc")));
        assert_eq!(nul.refused, ["reason"]);
    }
}
