//! Handlers that read: the list, a record, its forms, its history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::form::{FieldErrors, StudentForm};
use super::list::ListQuery;
use super::listing;
use super::store::{self, Student};
use super::views::{
    FormPage, GonePage, HistoryEntry, HistoryPage, ListPage, MyChange, MyChangesPage, ShowPage,
    StudentView,
};
use crate::auth::Registrar;
use crate::error::AppError;
use crate::http::flash::PendingFlash;
use crate::http::path::StudentId;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::views::{Layout, render};

/// `GET /students`
pub async fn list(
    State(state): State<AppState>,
    registrar: Registrar,
    PendingFlash(flash): PendingFlash,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let query = ListQuery::from_pairs(&pairs);
    let page = listing::list(&state.db, &query).await?;
    let layout = Layout::new("Students")
        .with_registrar(&registrar)
        .with_flash(flash);
    render(StatusCode::OK, &ListPage::new(layout, query, &page))
}

/// The student, if it exists and is not deleted; otherwise the `404` error
/// or the `410` page to answer with.
async fn live_student(
    state: &AppState,
    id: StudentId,
    registrar: &Registrar,
) -> Result<Result<Student, Response>, AppError> {
    let student = store::find(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    if student.deleted_at.is_some() {
        let layout = Layout::new(format!("{} was deleted", student.name)).with_registrar(registrar);
        return Ok(Err(render(
            StatusCode::GONE,
            &GonePage::new(layout, &student),
        )?));
    }
    Ok(Ok(student))
}

/// `GET /students/{id}`
pub async fn show(
    State(state): State<AppState>,
    registrar: Registrar,
    PendingFlash(flash): PendingFlash,
    id: StudentId,
) -> Result<Response, AppError> {
    let student = match live_student(&state, id, &registrar).await? {
        Ok(student) => student,
        Err(gone) => return Ok(gone),
    };
    let layout = Layout::new(student.name.clone())
        .with_registrar(&registrar)
        .with_flash(flash);
    let page = ShowPage {
        layout,
        student: StudentView::from(&student),
    };
    render(StatusCode::OK, &page)
}

/// `GET /students/{id}/edit`
pub async fn edit_form(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
) -> Result<Response, AppError> {
    let student = match live_student(&state, id, &registrar).await? {
        Ok(student) => student,
        Err(gone) => return Ok(gone),
    };
    let view = StudentView::from(&student);
    let mut page = FormPage::edit(
        view.id,
        &view.name,
        view.version,
        view.form(),
        FieldErrors::default(),
    );
    page.layout = page.layout.with_registrar(&registrar);
    render(StatusCode::OK, &page)
}

/// `GET /students/new`
pub async fn new_form(registrar: Registrar) -> Result<Response, AppError> {
    let mut page = FormPage::create(StudentForm::default(), FieldErrors::default());
    page.layout = page.layout.with_registrar(&registrar);
    render(StatusCode::OK, &page)
}

/// History entries per page.
const HISTORY_PAGE: u64 = 50;

/// `GET /students/{id}/history?page=N`: newest first, a page at a time;
/// readable after a delete too.
pub async fn history(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let student = store::find(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = pairs
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1)
        .min(1_000_000);
    let mut revisions =
        store::revisions_page(&state.db, id.0, (page - 1) * HISTORY_PAGE, HISTORY_PAGE).await?;
    let has_older = revisions.len() as u64 > HISTORY_PAGE;
    revisions.reverse();
    let mut entries = HistoryEntry::from_revisions(&revisions);
    if has_older {
        // The oldest row only gave the next one its "before" values.
        entries.remove(0);
        revisions.remove(0);
    }
    if let (Some(oldest), Some(newest)) = (revisions.first(), revisions.last()) {
        let to = if page == 1 { i64::MAX } else { newest.version };
        let conflicts = store::conflicts_at_versions(&state.db, id.0, oldest.version, to).await?;
        entries.extend(conflicts.iter().map(HistoryEntry::from_conflict));
    }
    HistoryEntry::sort(&mut entries);
    let path = format!("/students/{}/history", student.id);
    let view = HistoryPage {
        layout: Layout::new(format!("History of {}", student.name)).with_registrar(&registrar),
        id: student.id,
        name: student.name.clone(),
        deleted: student.deleted_at.is_some(),
        entries,
        newer_href: (page > 1).then(|| format!("{path}?page={}", page - 1)),
        older_href: has_older.then(|| format!("{path}?page={}", page + 1)),
    };
    render(StatusCode::OK, &view)
}

/// Changes listed per page of "My changes".
const CHANGES_PAGE: u64 = 50;

/// `GET /changes?before=ID`: the signed-in registrar's own recent changes
/// across every student, newest first.
pub async fn my_changes(
    State(state): State<AppState>,
    registrar: Registrar,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let before = pairs
        .get("before")
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|&b| b > 0);
    let mut rows =
        store::changes_by(&state.db, registrar.username(), before, CHANGES_PAGE + 1).await?;
    let has_more = rows.len() as u64 > CHANGES_PAGE;
    rows.truncate(CHANGES_PAGE as usize);
    let older_href = rows
        .last()
        .filter(|_| has_more)
        .map(|(revision, _)| format!("/changes?before={}", revision.id));
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
