//! Submission ids (docs/contract.md §10): every form that changes a record
//! carries a random `submission` id in a hidden field, and the revision the
//! change commits stores it (unique). So:
//!
//! - a form sent again, with the same values, whose submission already
//!   committed (a retry, a resubmit after an "outcome unknown" page) answers
//!   "saved" and writes nothing: no submission is applied twice. The same
//!   id with other values is another change, judged by its version;
//! - when the connection dropped during `COMMIT`, registrar looks the id up
//!   once the database answers again, and tells the registrar the truth.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::tokens::random_token;
use crate::db::entities::revision;
use crate::error::AppError;

/// Longest id accepted (registrar makes 43-character ones).
const MAX_LEN: usize = 64;
/// Shortest id accepted: shorter ones could collide.
const MIN_LEN: usize = 16;

/// A form submission's id: URL-safe characters, 16–64 of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission(String);

impl Submission {
    /// A fresh id for a form about to be shown.
    pub fn new() -> Submission {
        Submission(random_token())
    }

    /// The posted `submission` field: absent or empty means none (a form
    /// from before submission ids, or a client that sends none); anything
    /// else must be a well-formed id.
    pub fn parse(posted: Option<&str>) -> Result<Option<Submission>, AppError> {
        let Some(posted) = posted.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let well_formed = (MIN_LEN..=MAX_LEN).contains(&posted.len())
            && posted
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(Some(Submission(posted.to_owned())))
        } else {
            Err(AppError::BadRequest(
                "The form's submission id is not one registrar made. Nothing was saved: reload the page and try again.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Submission {
    fn default() -> Self {
        Submission::new()
    }
}

impl std::fmt::Display for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a committed submission made: its revision (the student, version,
/// action and values it wrote).
pub type Committed = revision::Model;

/// The change `submission` committed, if it did.
pub async fn committed(
    db: &impl ConnectionTrait,
    submission: &Submission,
) -> Result<Option<Committed>, DbErr> {
    revision::Entity::find()
        .filter(revision::Column::Submission.eq(submission.as_str()))
        .one(db)
        .await
}

/// [`committed`] for a submission whose commit was cut off: asked again
/// for a short while until a database answers (a failover, a node
/// restarting). `None` when none answered in time: the outcome is unknown.
pub async fn outcome_after_cut_commit(
    db: &impl ConnectionTrait,
    submission: &Submission,
) -> Option<Option<Committed>> {
    let deadline = tokio::time::Instant::now() + LOOKUP_FOR;
    loop {
        match committed(db, submission).await {
            Ok(found) => return Some(found),
            Err(err) if tokio::time::Instant::now() < deadline => {
                tracing::info!(error = %err, "commit outcome not known yet: asking again");
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(err) => {
                tracing::warn!(error = %err, %submission, "commit outcome unknown");
                return None;
            }
        }
    }
}

/// How long a cut-off commit's outcome is looked for before the registrar
/// is told it is unknown.
const LOOKUP_FOR: std::time::Duration = std::time::Duration::from_secs(3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_parsed_strictly() {
        assert_eq!(Submission::parse(None).unwrap(), None);
        assert_eq!(Submission::parse(Some("")).unwrap(), None);
        let fresh = Submission::new();
        assert_eq!(
            Submission::parse(Some(fresh.as_str())).unwrap(),
            Some(fresh)
        );
        for bad in [
            "short",
            "has space in it 1234",
            &"x".repeat(65),
            "ünïcödé-ünïcödé-ü",
        ] {
            assert!(Submission::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
