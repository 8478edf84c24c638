//! Handlers that write: create, edit and delete, each answering with a
//! redirect (Post/Redirect/Get) or the page that explains why not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::conflict;
use super::form::{DeleteForm, EditForm, FieldErrors, StudentForm, parse_version};
use super::protocol::{self, DeleteOutcome, EditOutcome};
use super::store::{self, RejectedSubmission, Student};
use super::views::{
    ConflictPage, DeleteConflictPage, DeletedMeanwhilePage, FormPage, GonePage, StudentView,
};
use crate::auth::Registrar;
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::path::StudentId;
use crate::http::redirect::see_other_with;
use crate::state::AppState;
use crate::views::{Layout, render};

/// `POST /students`
pub async fn create(
    State(state): State<AppState>,
    registrar: Registrar,
    Form(form): Form<StudentForm>,
) -> Result<Response, AppError> {
    match form.parse() {
        Ok(fields) => match protocol::create(&state.db, &fields, registrar.username()).await {
            Ok(id) => Ok(see_other_with(&format!("/students/{id}"), Flash::Created)),
            Err(err) => match err {
                AppError::Unavailable(err) => {
                    tracing::warn!(error = %err, "create refused: database busy");
                    let mut page = FormPage::create(form, FieldErrors::default());
                    page.layout = page.layout.with_registrar(&registrar);
                    busy(page)
                }
                other => Err(other),
            },
        },
        Err(errors) => {
            let mut page = FormPage::create(form, errors);
            page.layout = page.layout.with_registrar(&registrar);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// `POST /students/{id}`: the edit protocol.
pub async fn update(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    let seen_version = parse_version(form.version.as_deref())?;
    let outcome = match protocol::edit(
        &state.db,
        id.0,
        seen_version,
        &form.student,
        registrar.username(),
    )
    .await
    {
        Err(AppError::Unavailable(err)) => {
            tracing::warn!(error = %err, "edit refused: record or database busy");
            let mut page = FormPage::edit(
                id.0,
                "student",
                seen_version,
                form.student,
                FieldErrors::default(),
            );
            page.heading = "Edit student".to_owned();
            page.layout = page.layout.with_registrar(&registrar);
            return busy(page);
        }
        other => other?,
    };
    let location = format!("/students/{}", id.0);
    match outcome {
        EditOutcome::Saved => Ok(see_other_with(&location, Flash::Saved)),
        EditOutcome::Unchanged => Ok(see_other_with(&location, Flash::NoChanges)),
        EditOutcome::Invalid(errors) => {
            let current = store::find(&state.db, id.0)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut page = FormPage::edit(id.0, &current.name, seen_version, form.student, errors);
            page.layout = page.layout.with_registrar(&registrar);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        EditOutcome::Stale | EditOutcome::DeletedMeanwhile => {
            stale_edit(&state, id.0, seen_version, &form.student, &registrar).await
        }
    }
}

const BUSY: &str = "Another save was holding this record (or the database was busy) for too long. \
     Nothing was saved and nothing you typed is lost: check it below and submit again.";

/// `503` with the form again, exactly as typed, and a "try again" notice.
fn busy(mut page: FormPage) -> Result<Response, AppError> {
    page.notice = Some(BUSY);
    page.layout.has_errors = true;
    let mut response = render(StatusCode::SERVICE_UNAVAILABLE, &page)?;
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, 2.into());
    Ok(response)
}

/// Records the refused submission and answers `409` with the page that
/// keeps everything the registrar typed.
async fn stale_edit(
    state: &AppState,
    id: i64,
    seen_version: i64,
    yours: &StudentForm,
    registrar: &Registrar,
) -> Result<Response, AppError> {
    let current = store::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    keep_rejected(
        state,
        RejectedSubmission {
            student_id: id,
            attempted: "update",
            submitted_version: seen_version,
            current_version: current.version,
            name: Some(&yours.name),
            address: Some(&yours.address),
            gpa: Some(&yours.gpa),
            registrar: registrar.username(),
        },
    )
    .await;

    if current.deleted_at.is_some() {
        let layout = Layout::new(format!(
            "{} was deleted while you were editing",
            current.name
        ))
        .with_registrar(registrar);
        let page = DeletedMeanwhilePage {
            gone: GonePage::new(Layout::default(), &current),
            layout,
            yours: yours.clone(),
        };
        return render(StatusCode::CONFLICT, &page);
    }

    let comparison = conflict::compare(&state.db, &current, seen_version, yours).await?;
    let page = ConflictPage {
        layout: Layout::new(format!("{} changed while you were editing", current.name))
            .with_registrar(registrar),
        name: current.name.clone(),
        comparison,
    };
    render(StatusCode::CONFLICT, &page)
}

/// `POST /students/{id}/delete`: the same protocol as an edit.
pub async fn delete(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let seen_version = parse_version(form.version.as_deref())?;
    match protocol::delete(&state.db, id.0, seen_version, registrar.username()).await? {
        DeleteOutcome::Deleted => Ok(see_other_with("/students", Flash::Deleted)),
        DeleteOutcome::Stale | DeleteOutcome::AlreadyDeleted => {
            let current = store::find(&state.db, id.0)
                .await?
                .ok_or(AppError::NotFound)?;
            keep_rejected(
                &state,
                RejectedSubmission {
                    student_id: id.0,
                    attempted: "delete",
                    submitted_version: seen_version,
                    current_version: current.version,
                    name: None,
                    address: None,
                    gpa: None,
                    registrar: registrar.username(),
                },
            )
            .await;
            stale_delete(&state, current, seen_version, &registrar).await
        }
    }
}

/// Keeps a refused submission in the record's history. Best effort: if the
/// database cannot take it now, the registrar still gets the page that
/// shows everything they typed.
async fn keep_rejected(state: &AppState, rejected: RejectedSubmission<'_>) {
    if let Err(err) = store::record_conflict(&state.db, rejected).await {
        tracing::warn!(error = %err, "could not record a conflict entry");
    }
}

async fn stale_delete(
    state: &AppState,
    current: Student,
    seen_version: i64,
    registrar: &Registrar,
) -> Result<Response, AppError> {
    if current.deleted_at.is_some() {
        let layout =
            Layout::new(format!("{} was already deleted", current.name)).with_registrar(registrar);
        return render(StatusCode::CONFLICT, &GonePage::new(layout, &current));
    }
    // From the version the registrar saw: a long history is not loaded.
    let revisions = conflict::revisions_since(&state.db, current.id, seen_version).await?;
    let page = DeleteConflictPage {
        layout: Layout::new(format!("{} changed before your delete", current.name))
            .with_registrar(registrar),
        student: StudentView::from(&current),
        seen_version,
        changes: conflict::changes_after(&revisions, seen_version),
    };
    render(StatusCode::CONFLICT, &page)
}
