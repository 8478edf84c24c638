//! `GET /changes`: the signed-in registrar's own changes across every
//! student, newest first.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::paths;
use super::store::{Action, revisions};
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::views::{Instant, Layout, render};

/// One line of "My changes".
#[derive(Debug, Clone)]
pub struct MyChange {
    pub student_id: i64,
    pub name: String,
    pub version: i64,
    pub action: Action,
    pub at: Instant,
}

#[derive(Template)]
#[template(path = "students/my_changes.html")]
pub struct MyChangesPage {
    pub layout: Layout,
    pub changes: Vec<MyChange>,
    pub older_href: Option<String>,
    pub first_page: bool,
}

/// Changes listed per page of "My changes".
const CHANGES_PAGE: u64 = 50;

/// `GET /changes?before=ID`
pub async fn my_changes(
    State(state): State<AppState>,
    registrar: SignedIn,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let before = pairs
        .get("before")
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|&b| b > 0);
    let mut rows =
        revisions::by_registrar(&state.db, registrar.username(), before, CHANGES_PAGE + 1).await?;
    let has_more = rows.len() as u64 > CHANGES_PAGE;
    rows.truncate(CHANGES_PAGE as usize);
    let older_href = rows
        .last()
        .filter(|_| has_more)
        .map(|(revision, _)| paths::my_changes_before(revision.id));
    let changes = rows
        .into_iter()
        .map(|(revision, student)| MyChange {
            student_id: revision.student_id,
            name: student.map_or_else(|| revision.name.clone(), |s| s.name),
            version: revision.version,
            action: revision.action,
            at: revision.at.into(),
        })
        .collect();
    let page = MyChangesPage {
        layout: Layout::new("My changes").with_registrar(&registrar),
        changes,
        older_href,
        first_page: before.is_none(),
    };
    render(StatusCode::OK, &page)
}
