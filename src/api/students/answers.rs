//! What the API answers for each outcome of the write core: the one
//! translation of [`Outcome`] and [`ProtocolError`] into statuses and JSON,
//! used for the answer sent and for the answer an idempotency key keeps.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::idempotency::Answer;
use crate::api::json::{ChangeBody, StudentBody, time};
use crate::api::paths;
use crate::api::problem::{ApiError, Problem};
use crate::api::request::etag;
use crate::domain::{Disclosure, FieldErrors};
use crate::students::protocol::{Outcome, ProtocolError};
use crate::students::store::Student;

/// A `412`: the version in `If-Match` is not the student's now. Nothing
/// was written; the request is kept in the record's history as a conflict
/// entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaleProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// The student now.
    pub current: StudentBody,
    /// Each change since the version the client sent, oldest first (the
    /// newest 50 of a long history).
    pub changes: Vec<ChangeBody>,
}

/// A `410`: the student was deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoneProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// The version its delete made.
    pub version: i64,
    #[schema(format = DateTime)]
    pub deleted_at: Option<String>,
    pub deleted_by: Option<String>,
}

/// Which write an outcome answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    /// Over the version the client saw.
    Patch(i64),
    Delete(i64),
}

/// The answer to `outcome` of a `write`, for a caller with `disclosure`.
pub fn answer(outcome: &Outcome, write: Write, disclosure: Disclosure) -> Answer {
    match outcome {
        Outcome::Written { student } => written(student, write, disclosure),
        Outcome::Unchanged { current } => student_answer(StatusCode::OK, current, disclosure),
        Outcome::Invalid {
            errors,
            reason_error,
            ..
        } => error_answer(&ApiError::Invalid(members(errors, reason_error.as_deref()))),
        Outcome::Stale { current, since, .. } | Outcome::NotDeleted { current, since } => {
            let seen = match write {
                Write::Patch(seen) | Write::Delete(seen) => seen,
                Write::Create => 0,
            };
            let body = StaleProblem {
                problem: Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale-version",
                    format!(
                        "The student changed after the version you sent (it is at version {} now). Nothing was written; your request is kept in the record's history. Read `current` and `changes`, apply your change again, and send it with If-Match: \"{}\".",
                        current.version, current.version
                    ),
                ),
                current: StudentBody::new(&current.into(), disclosure),
                changes: ChangeBody::after(since, seen, disclosure, current.confidential),
            };
            json_answer(StatusCode::PRECONDITION_FAILED, &body, None)
        }
        Outcome::Gone { current } => gone(current),
        Outcome::Replayed { .. } | Outcome::NotAVersion => error_answer(&ApiError::Internal(
            format!("the write core answered {outcome:?} to an API {write:?}"),
        )),
    }
}

/// The answer to a `write` that committed: `201` with the new student
/// and its address, `200` with the student as changed, or `204`.
pub fn written(student: &Student, write: Write, disclosure: Disclosure) -> Answer {
    match write {
        Write::Create => Answer {
            location: Some(paths::student(student.id)),
            ..student_answer(StatusCode::CREATED, student, disclosure)
        },
        Write::Patch(_) => student_answer(StatusCode::OK, student, disclosure),
        Write::Delete(_) => no_content(),
    }
}

/// `204`.
pub fn no_content() -> Answer {
    Answer {
        status: StatusCode::NO_CONTENT,
        etag: None,
        location: None,
        body: None,
    }
}

/// A `410` for the deleted `student`.
pub fn gone(student: &Student) -> Answer {
    let body = GoneProblem {
        problem: Problem::new(
            StatusCode::GONE,
            "deleted",
            format!(
                "This student was deleted{}. Nothing was changed.",
                student
                    .deleted_by
                    .as_deref()
                    .map(|by| format!(" by {by}"))
                    .unwrap_or_default()
            ),
        ),
        version: student.version,
        deleted_at: student.deleted_at.map(time),
        deleted_by: student.deleted_by.clone(),
    };
    json_answer(StatusCode::GONE, &body, None)
}

/// `status` with `student` and its `ETag`.
pub fn student_answer(status: StatusCode, student: &Student, disclosure: Disclosure) -> Answer {
    json_answer(
        status,
        &StudentBody::new(&student.into(), disclosure),
        Some(etag(student.version)),
    )
}

/// The problem of `err`, as an answer a key can keep.
pub fn error_answer(err: &ApiError) -> Answer {
    json_answer(err.status(), &err.problem(), None)
}

fn json_answer<T: Serialize>(status: StatusCode, body: &T, etag: Option<String>) -> Answer {
    Answer {
        status,
        etag,
        location: None,
        body: Some(serde_json::to_string(body).unwrap_or_default()),
    }
}

/// The core's messages by member name.
fn members(errors: &FieldErrors, reason: Option<&str>) -> BTreeMap<String, String> {
    let mut members: BTreeMap<String, String> = errors
        .in_form_order()
        .map(|(field, message)| (field.name().to_owned(), message.to_owned()))
        .collect();
    if let Some(message) = reason {
        members.insert("reason".to_owned(), message.to_owned());
    }
    members
}

/// What the API answers when the core could not decide.
impl From<ProtocolError> for ApiError {
    fn from(err: ProtocolError) -> Self {
        match err {
            ProtocolError::NotFound => ApiError::NotFound,
            ProtocolError::Busy(err) => ApiError::Unavailable(err.to_string()),
            ProtocolError::NotAllowed(role) => ApiError::NotAllowed(role),
            ProtocolError::NotEnabled => ApiError::Unauthorized,
            ProtocolError::CommitUnknown(_) => ApiError::OutcomeUnknown,
            ProtocolError::ReceiptLost => ApiError::InFlight,
            ProtocolError::Database(err) => ApiError::from(err),
        }
    }
}
