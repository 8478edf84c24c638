//! `GET /students/{id}/history?from=A&to=B`: what changed between two
//! versions of a student, field by field (contract §7). Reads only.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::conflict::{FieldChange, diff, withhold};
use super::paths;
use super::store::{Revision, Student, revisions};
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::views::{Instant, Layout, render};

/// One of the two versions compared.
#[derive(Debug, Clone)]
pub struct VersionSide {
    pub version: i64,
    pub registrar: String,
    pub at: Instant,
    pub reason: Option<String>,
}

#[derive(Template)]
#[template(path = "students/compare.html")]
pub struct ComparePage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub from: VersionSide,
    pub to: VersionSide,
    /// Only the fields that differ, in form order.
    pub changes: Vec<FieldChange>,
    /// The student is confidential now (the page says so).
    pub confidential: bool,
}

/// Whether the history was asked for as a comparison.
pub fn is_comparison(pairs: &QueryPairs) -> bool {
    pairs.get("from").is_some() || pairs.get("to").is_some()
}

const BAD_VERSIONS: &str = "These versions cannot be compared: the address must name two \
     versions this record has. Open the record's history and choose two of its versions there.";

/// The comparison page of `student` between the versions `from` and `to`
/// of the query; `400` when either is missing, not a number, or not a
/// version of the student.
pub async fn compare(
    state: &AppState,
    registrar: &SignedIn,
    student: &Student,
    pairs: &QueryPairs,
) -> Result<Response, AppError> {
    let version = |key: &str| {
        pairs
            .get(key)
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or(AppError::BadRequest(BAD_VERSIONS))
    };
    let (from, to) = (version("from")?, version("to")?);
    let before = revisions::at_version(&state.db, student.id, from).await?;
    let after = revisions::at_version(&state.db, student.id, to).await?;
    let (Some(before), Some(after)) = (before, after) else {
        return Err(AppError::BadRequest(BAD_VERSIONS));
    };
    let side = |r: &Revision| VersionSide {
        version: r.version,
        registrar: r.registrar.clone(),
        at: r.at.into(),
        reason: r.reason.clone(),
    };
    let page = ComparePage {
        layout: Layout::new(format!(
            "{}: version {from} compared with version {to}",
            student.name
        ))
        .with_registrar(registrar),
        id: student.id,
        name: student.name.clone(),
        from: side(&before),
        to: side(&after),
        changes: withhold(
            diff(Some(&before), &after),
            registrar.disclosure(),
            student.confidential || before.confidential || after.confidential,
        ),
        confidential: student.confidential,
    };
    render(StatusCode::OK, &page)
}

impl ComparePage {
    pub fn history_href(&self) -> String {
        paths::history(self.id)
    }
}
