//! Handlers that read one student: its page and its forms.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::views::{DeletePage, FormPage, GonePage, ShowPage, StudentView};
use crate::access::{ViewKind, Witness};
use crate::auth::SignedIn;
use crate::db::now;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::http::flash::{Flash, PendingFlash};
use crate::http::path::StudentId;
use crate::presence;
use crate::state::AppState;
use crate::students::form::StudentForm;
use crate::students::list;
use crate::students::store::{self, Student, revisions};
use crate::views::{Layout, isolated, render};

/// The student, if it exists and is not deleted; otherwise the `404` error
/// or the `410` page to answer with.
async fn live_student(
    state: &AppState,
    id: StudentId,
    registrar: &SignedIn,
) -> Result<Result<Student, Response>, AppError> {
    let student = store::find(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    if student.deleted_at.is_some() {
        let layout = Layout::new(format!("{} was deleted", isolated(&student.name)))
            .with_registrar(registrar);
        return Ok(Err(render(
            StatusCode::GONE,
            &GonePage::new(layout, &student),
        )?));
    }
    Ok(Ok(student))
}

/// `GET /students/{id}`
/// Possible duplicates a new record's page names at most.
const DUPLICATES_SHOWN: u64 = 20;

pub async fn show(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    PendingFlash(flash): PendingFlash,
    id: StudentId,
) -> Result<Response, AppError> {
    let student = match live_student(&state, id, &registrar).await? {
        Ok(student) => student,
        Err(gone) => return Ok(gone),
    };
    witness.saw(ViewKind::Record, &student);
    let layout = Layout::new(isolated(&student.name))
        .with_registrar(&registrar)
        .with_flash(flash);
    let latest = revisions::latest(&state.db, &student).await?;
    // A record just created names the students it may duplicate.
    let duplicates = match layout.flash {
        Some(Flash::Created) => {
            list::db::same_name(&state.db, &student.name, student.id, DUPLICATES_SHOWN).await?
        }
        _ => Vec::new(),
    };
    let disclosure = registrar.disclosure();
    let page = ShowPage {
        duplicates: duplicates
            .iter()
            .map(|s| StudentView::of(s, disclosure))
            .collect(),
        layout,
        latest_reason: latest.and_then(|r| r.reason),
        // Reads only: the record page marks nothing.
        others: presence::store::others(&state.db, student.id, registrar.id, now()).await?,
        student: StudentView::of(&student, disclosure),
    };
    render(StatusCode::OK, &page)
}

/// `GET /students/{id}/delete`: the confirmation step. Shows what the
/// delete removes and posts the version shown here, so a record changed
/// since is not deleted unseen (the post answers `409`). Reads only.
pub async fn delete_form(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    id: StudentId,
) -> Result<Response, AppError> {
    let student = match live_student(&state, id, &registrar).await? {
        Ok(student) => student,
        Err(gone) => return Ok(gone),
    };
    witness.saw(ViewKind::DeleteForm, &student);
    let others = presence::store::others(&state.db, student.id, registrar.id, now()).await?;
    let mut page = DeletePage::new(&student, others);
    page.layout = page.layout.with_registrar(&registrar);
    render(StatusCode::OK, &page)
}

/// `GET /students/{id}/edit`
pub async fn edit_form(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    id: StudentId,
) -> Result<Response, AppError> {
    let student = match live_student(&state, id, &registrar).await? {
        Ok(student) => student,
        Err(gone) => return Ok(gone),
    };
    witness.saw(ViewKind::EditForm, &student);
    let opened = now();
    // Best effort, and never waits on a busy database (see presence::store);
    // the others' marks are read meanwhile.
    let (_, others) = tokio::join!(
        presence::store::mark_open(
            &state.db,
            &state.presence_pace,
            registrar.id,
            student.id,
            opened,
        ),
        presence::store::others(&state.db, student.id, registrar.id, opened)
    );
    let mut page = FormPage::edit(
        student.id,
        &student.name,
        student.version,
        StudentForm::from(&student),
        FieldErrors::default(),
    );
    page.others = others?;
    page.layout = page.layout.with_registrar(&registrar);
    render(StatusCode::OK, &page)
}

/// `GET /students/new`
pub async fn new_form(registrar: SignedIn) -> Result<Response, AppError> {
    let mut page = FormPage::create(StudentForm::default(), FieldErrors::default());
    page.layout = page.layout.with_registrar(&registrar);
    render(StatusCode::OK, &page)
}
