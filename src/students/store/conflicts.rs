//! Conflict entries: stale submissions refused by the edit protocol, kept
//! with what the registrar sent. No revision, no version change.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::{Attempt, ConflictEntry};
use crate::cluster::retry;
use crate::db::entities::conflict;

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

/// Longest text kept of one rejected field (the form allows 64 KiB).
const KEPT_CHARS: usize = 2000;

/// Records a rejected submission in the student's history.
pub async fn record(
    db: &impl ConnectionTrait,
    rejected: RejectedSubmission<'_>,
) -> Result<(), DbErr> {
    // PostgreSQL text cannot hold U+0000: it is kept as the visible ␀.
    let keep = |value: Option<&str>| {
        value.map(|v| {
            v.chars()
                .take(KEPT_CHARS)
                .map(|c| if c == '\0' { '\u{2400}' } else { c })
                .collect::<String>()
        })
    };
    let at = crate::db::now();
    retry::write("conflict entry", || {
        conflict::Entity::insert(conflict::ActiveModel {
            id: NotSet,
            student_id: Set(rejected.student_id),
            attempted: Set(rejected.attempted),
            submitted_version: Set(rejected.submitted_version),
            current_version: Set(rejected.current_version),
            name: Set(keep(rejected.name)),
            address: Set(keep(rejected.address)),
            gpa: Set(keep(rejected.gpa)),
            registrar: Set(rejected.registrar.to_owned()),
            at: Set(at),
            reason: Set(keep(rejected.reason)),
        })
        .exec_without_returning(db)
    })
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
