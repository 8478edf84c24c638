//! Handlers that read: the list, a record, its forms, its history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::form::{FieldErrors, StudentForm};
use super::list::ListQuery;
use super::listing;
use super::store::{self, Student};
use super::views::{
    FormPage, GonePage, HistoryEntry, HistoryPage, ListPage, ShowPage, StudentView,
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

/// `GET /students/{id}/history`: readable after a delete too.
pub async fn history(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
) -> Result<Response, AppError> {
    let student = store::find(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let revisions = store::revisions(&state.db, id.0).await?;
    let conflicts = store::conflicts(&state.db, id.0).await?;
    let mut entries = HistoryEntry::from_revisions(&revisions);
    entries.extend(conflicts.iter().map(HistoryEntry::from_conflict));
    HistoryEntry::sort(&mut entries);
    let page = HistoryPage {
        layout: Layout::new(format!("History of {}", student.name)).with_registrar(&registrar),
        id: student.id,
        name: student.name.clone(),
        deleted: student.deleted_at.is_some(),
        entries,
    };
    render(StatusCode::OK, &page)
}
