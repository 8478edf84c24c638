//! The API's JSON shapes of a student (contract §13), shared by every
//! route that sends one: field names are stable, `gpa` is a string with two
//! decimals, times are RFC 3339 UTC, and an address the caller's role may
//! not see (a confidential student's, for a viewer) is `null`.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::entities::student::{Listed, gpa_text};
use crate::domain::{Disclosure, Field};
use crate::students::conflict::{self, FieldChange};
use crate::students::store::{Action, Revision};

/// `200` with `body` as `application/json` (a body that cannot be
/// written is a `500` problem, never an empty `200`).
pub fn ok<T: Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(err) => crate::api::problem::ApiError::Internal(err.to_string()).into_response(),
    }
}

/// A time as the API writes it: RFC 3339, UTC, microseconds.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A student as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentBody {
    pub id: i64,
    /// The institution's number, upper-cased; `null` when unset.
    pub student_number: Option<String>,
    pub name: String,
    /// `null` when the caller's role may not see it (a confidential
    /// student's address, for a viewer).
    pub address: Option<String>,
    /// Two decimals, as a string: `"3.50"`.
    #[schema(example = "3.50")]
    pub gpa: String,
    /// A directory-information hold: viewers never see the address.
    pub confidential: bool,
    /// What `ETag` and `If-Match` carry (in quotes).
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The username of the account that made the latest change.
    pub updated_by: String,
}

impl StudentBody {
    /// `student` (a `Listed`, or a whole row: `&row.into()`) as a reader
    /// with `disclosure` may see it.
    pub fn new(student: &Listed, disclosure: Disclosure) -> StudentBody {
        StudentBody {
            id: student.id,
            student_number: student.student_number.clone(),
            name: student.name.clone(),
            address: (!disclosure.withholds(Field::Address, student.confidential))
                .then(|| student.address.clone()),
            gpa: gpa_text(student.gpa_hundredths),
            confidential: student.confidential,
            version: student.version,
            created_at: time(student.created_at),
            updated_at: time(student.updated_at),
            updated_by: student.updated_by.clone(),
        }
    }
}

/// A student's values as a revision recorded them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValuesBody {
    pub student_number: Option<String>,
    pub name: String,
    /// `null` when the caller's role may not see it.
    pub address: Option<String>,
    #[schema(example = "3.50")]
    pub gpa: String,
    pub confidential: bool,
}

impl ValuesBody {
    /// `revision`'s values; `held`: the student is confidential now (its
    /// old addresses are withheld from a viewer too).
    pub fn of_revision(revision: &Revision, disclosure: Disclosure, held: bool) -> ValuesBody {
        ValuesBody {
            student_number: revision.student_number.clone(),
            name: revision.name.clone(),
            address: (!disclosure.withholds(Field::Address, held || revision.confidential))
                .then(|| revision.address.clone()),
            gpa: gpa_text(revision.gpa_hundredths),
            confidential: revision.confidential,
        }
    }
}

/// What a revision did, as the contract words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionWord {
    Created,
    Updated,
    Deleted,
    Imported,
    Restored,
    Undeleted,
}

impl From<Action> for ActionWord {
    fn from(action: Action) -> Self {
        match action {
            Action::Created => ActionWord::Created,
            Action::Updated => ActionWord::Updated,
            Action::Deleted => ActionWord::Deleted,
            Action::Imported => ActionWord::Imported,
            Action::Restored => ActionWord::Restored,
            Action::Undeleted => ActionWord::Undeleted,
        }
    }
}

/// A field's value before and after a change (`old` is `null` for a
/// student's first version, or when withheld from the caller; so is `new`
/// when withheld).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChangeBody {
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One committed change of a student: a revision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeBody {
    /// The version it made.
    pub version: i64,
    pub action: ActionWord,
    /// The username of the account that made it.
    pub by: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub reason: Option<String>,
    /// Each field it changed, by name (`name`, `address`, `gpa`,
    /// `student_number`, `confidential`).
    pub fields: BTreeMap<String, FieldChangeBody>,
    /// The student's values after it.
    pub student: ValuesBody,
}

impl ChangeBody {
    /// `after`, with the fields it changed from `before` (its previous
    /// revision, when known), as a reader with `disclosure` may see them;
    /// `held`: the student is confidential now.
    pub fn new(
        before: Option<&Revision>,
        after: &Revision,
        disclosure: Disclosure,
        held: bool,
    ) -> ChangeBody {
        let held = held || after.confidential || before.is_some_and(|b| b.confidential);
        let changes: Vec<FieldChange> =
            conflict::withhold(conflict::revision_changes(before, after), disclosure, held);
        ChangeBody {
            version: after.version,
            action: after.action.into(),
            by: after.registrar.clone(),
            at: time(after.at),
            reason: after.reason.clone(),
            fields: changes
                .into_iter()
                .map(|change| {
                    let shown = |value: Option<String>| value.filter(|_| !change.withheld);
                    let body = FieldChangeBody {
                        old: shown(change.old.clone()),
                        new: shown(Some(change.new.clone())),
                    };
                    (change.field.name().to_owned(), body)
                })
                .collect(),
            student: ValuesBody::of_revision(after, disclosure, held),
        }
    }

    /// The changes of `revisions` (oldest first, each after the one
    /// before it) newer than `version`.
    pub fn after(
        revisions: &[Revision],
        version: i64,
        disclosure: Disclosure,
        held: bool,
    ) -> Vec<ChangeBody> {
        conflict::with_previous(revisions)
            .filter(|(_, after)| after.version > version)
            .map(|(before, after)| ChangeBody::new(before, after, disclosure, held))
            .collect()
    }
}
