//! Conflict entries: stale submissions refused by the write core, kept with
//! what the writer sent, in the transaction that refused them. No
//! revision, no version change.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::{Attempt, ConflictEntry};
use crate::db::entities::conflict;
use crate::domain::{Address, Field, Gpa, Name, Reason};

/// A submission refused because its version was stale, as it was sent.
#[derive(Debug, Clone)]
pub struct RejectedSubmission<'a> {
    pub student_id: i64,
    pub attempted: Attempt,
    pub submitted_version: i64,
    pub current_version: i64,
    pub name: Option<&'a str>,
    pub address: Option<&'a str>,
    pub gpa: Option<&'a str>,
    pub registrar: &'a str,
    /// The reason the submission gave, as typed.
    pub reason: Option<&'a str>,
}

/// The values of a rejected submission that keep to the form's rules (in
/// their checked form), and the names of the fields whose values did not.
#[derive(Debug)]
struct Kept {
    name: Option<String>,
    address: Option<String>,
    gpa: Option<String>,
    reason: Option<String>,
    refused: Vec<&'static str>,
}

/// How a refused reason is named in the `refused` column (fields go by
/// their form names).
pub const REASON: &str = "reason";

/// A field's rule: its checked text, `None` for no value.
type Rule = fn(&str) -> Result<Option<String>, String>;

impl Kept {
    fn from(rejected: &RejectedSubmission<'_>) -> Self {
        let mut refused = Vec::new();
        let mut check =
            |field: &'static str, value: Option<&str>, rule: Rule| match value.map(rule)? {
                Ok(Some(value)) => Some(value),
                // A blank reason is no reason, not a refused one.
                Ok(None) => None,
                Err(_) => {
                    refused.push(field);
                    None
                }
            };
        Kept {
            name: check(Field::Name.name(), rejected.name, |v| {
                Name::parse(v).map(|n| Some(n.to_string()))
            }),
            address: check(Field::Address.name(), rejected.address, |v| {
                Address::parse(v).map(|a| Some(a.to_string()))
            }),
            // As typed (`3.9`, not `3.90`): what the registrar sent.
            gpa: check(Field::Gpa.name(), rejected.gpa, |v| {
                Gpa::parse(v).map(|_| Some(v.trim().to_owned()))
            }),
            reason: check(REASON, rejected.reason, |v| {
                Reason::parse(Some(v)).map(|r| r.map(|r| r.to_string()))
            }),
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
    let refused = kept.refused_column();
    conflict::Entity::insert(conflict::ActiveModel {
        id: NotSet,
        student_id: Set(rejected.student_id),
        attempted: Set(rejected.attempted),
        submitted_version: Set(rejected.submitted_version),
        current_version: Set(rejected.current_version),
        name: Set(kept.name),
        address: Set(kept.address),
        gpa: Set(kept.gpa),
        registrar: Set(rejected.registrar.to_owned()),
        at: Set(crate::db::now()),
        reason: Set(kept.reason),
        refused: Set(refused),
    })
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
    use super::{Attempt, Kept, RejectedSubmission};

    fn rejected<'a>(
        name: &'a str,
        gpa: &'a str,
        reason: Option<&'a str>,
    ) -> RejectedSubmission<'a> {
        RejectedSubmission {
            student_id: 1,
            attempted: Attempt::Update,
            submitted_version: 1,
            current_version: 2,
            name: Some(name),
            address: Some("1 Main St"),
            gpa: Some(gpa),
            registrar: "ada",
            reason,
        }
    }

    #[test]
    fn values_that_break_the_rules_are_named_not_kept() {
        let long = "x".repeat(2_000);
        let kept = Kept::from(&rejected("Eve\u{202E}", "4.5", Some(&long)));
        assert_eq!(kept.name, None);
        assert_eq!(kept.gpa, None);
        assert_eq!(kept.reason, None);
        assert_eq!(kept.address.as_deref(), Some("1 Main St"));
        assert_eq!(kept.refused, ["name", "gpa", "reason"]);
        assert_eq!(kept.refused_column().as_deref(), Some("name gpa reason"));

        let fine = Kept::from(&rejected("  Ada ", "3.9", Some("typo")));
        assert_eq!(fine.name.as_deref(), Some("Ada"));
        assert_eq!(fine.reason.as_deref(), Some("typo"));
        assert_eq!(fine.refused_column(), None);

        let blank = Kept::from(&rejected("Ada", "3", Some("   ")));
        assert_eq!(
            (blank.reason.as_deref(), blank.refused_column()),
            (None, None)
        );
        let nul = Kept::from(&rejected("Ada", "3", Some("a\0b\nc")));
        assert_eq!(nul.refused, ["reason"]);
    }
}
