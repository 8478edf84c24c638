//! Handlers that write: create, edit and delete. Each sends one command to
//! the write core and translates its outcome: a redirect
//! (Post/Redirect/Get), or the page that explains why not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::answers::{undecided, unexpected};
use super::conflict_pages::{ConflictPage, DeleteConflictPage, DeletedMeanwhilePage};
use super::views::{DeletePage, FormPage, GonePage, StudentView};
use crate::auth::SignedIn;
use crate::cluster::submission::Submission;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::path::StudentId;
use crate::http::redirect::see_other_with;
use crate::presence;
use crate::state::AppState;
use crate::students::conflict;
use crate::students::form::{CreateForm, DeleteForm, EditForm, parse_version};
use crate::students::paths;
use crate::students::protocol::{self, Act, Command, Outcome};
use crate::views::{Layout, isolated, render};

/// `POST /students`
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(posted): Form<CreateForm>,
) -> Result<Response, AppError> {
    let submission = Submission::parse(posted.submission.as_deref())?;
    let form = posted.student;
    let command = Command {
        writer: signed_in.username(),
        act: Act::Create { values: &form },
        reason: None,
        submission: submission.as_ref(),
        receipt: None,
    };
    let page = |errors| FormPage::create(form.clone(), errors).with_submission(submission.clone());
    match protocol::run(&state.db, &command).await {
        Ok(Outcome::Written { student }) => {
            Ok(see_other_with(&paths::student(student.id), Flash::Created))
        }
        Ok(Outcome::Replayed { student_id }) => {
            Ok(see_other_with(&paths::student(student_id), Flash::Created))
        }
        Ok(Outcome::Invalid { errors, taken, .. }) => {
            let mut page = page(errors).with_taken(taken);
            page.layout = page.layout.with_registrar(&signed_in);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Ok(other) => Err(unexpected(&other)),
        Err(err) => undecided(err, page(FieldErrors::default()), &signed_in),
    }
}

/// `POST /students/{id}`: an edit.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    id: StudentId,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    let seen = parse_version(form.version.as_deref())?;
    let submission = Submission::parse(form.submission.as_deref())?;
    let yours = form.student;
    let typed_reason = form.reason.unwrap_or_default();
    let command = Command {
        writer: signed_in.username(),
        act: Act::Edit {
            id: id.0,
            seen,
            values: &yours,
        },
        reason: Some(&typed_reason),
        submission: submission.as_ref(),
        receipt: None,
    };
    let page = |name: &str, errors, reason_error| {
        FormPage::edit(id.0, name, seen.get(), yours.clone(), errors)
            .with_reason(Some(typed_reason.clone()), reason_error)
            .with_submission(submission.clone())
    };
    let outcome = match protocol::run(&state.db, &command).await {
        Ok(outcome) => outcome,
        Err(err) => {
            return undecided(
                err,
                page("student", FieldErrors::default(), None),
                &signed_in,
            );
        }
    };
    let location = paths::student(id.0);
    match outcome {
        Outcome::Written { .. } | Outcome::Replayed { .. } => {
            Ok(see_other_with(&location, Flash::Saved))
        }
        Outcome::Unchanged { .. } => Ok(see_other_with(&location, Flash::NoChanges)),
        Outcome::Invalid {
            errors,
            reason_error,
            current,
            taken,
        } => {
            let name = current.as_ref().map_or("student", |c| c.name.as_str());
            let mut page = page(name, errors, reason_error).with_taken(taken);
            page.others =
                presence::store::others(&state.db, id.0, signed_in.id, crate::db::now()).await?;
            page.layout = page.layout.with_registrar(&signed_in);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Outcome::Stale { current, since, .. } => {
            let page = ConflictPage {
                layout: Layout::new(format!(
                    "{} changed while you were editing",
                    isolated(&current.name)
                ))
                .with_registrar(&signed_in),
                name: current.name.clone(),
                comparison: conflict::compare(&current, seen.get(), &yours, &since),
                revision: None,
                reason: typed_reason,
            };
            render(StatusCode::CONFLICT, &page)
        }
        Outcome::Gone { current } => {
            let layout = Layout::new(format!(
                "{} was deleted while you were editing",
                isolated(&current.name)
            ))
            .with_registrar(&signed_in);
            let page = DeletedMeanwhilePage {
                gone: GonePage::new(Layout::default(), &current),
                layout,
                yours,
            };
            render(StatusCode::CONFLICT, &page)
        }
        other => Err(unexpected(&other)),
    }
}

/// `POST /students/{id}/delete`: the same protocol as an edit.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    id: StudentId,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let seen = parse_version(form.version.as_deref())?;
    let typed_reason = form.reason.unwrap_or_default();
    let command = Command {
        writer: signed_in.username(),
        act: Act::Delete { id: id.0, seen },
        reason: Some(&typed_reason),
        submission: None,
        receipt: None,
    };
    match protocol::run(&state.db, &command).await? {
        Outcome::Written { .. } | Outcome::Replayed { .. } => {
            Ok(see_other_with(paths::LIST, Flash::Deleted(id.0)))
        }
        Outcome::Invalid {
            reason_error,
            current: Some(current),
            ..
        } => {
            // The confirmation step again, at the version it was sent from.
            let others =
                presence::store::others(&state.db, id.0, signed_in.id, crate::db::now()).await?;
            let mut page =
                DeletePage::new(&current, others).with_reason(typed_reason, reason_error);
            page.layout = page.layout.with_registrar(&signed_in);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Outcome::Gone { current } => {
            let layout = Layout::new(format!("{} was already deleted", isolated(&current.name)))
                .with_registrar(&signed_in);
            render(StatusCode::CONFLICT, &GonePage::new(layout, &current))
        }
        Outcome::Stale { current, since, .. } => {
            let page = DeleteConflictPage {
                layout: Layout::new(format!(
                    "{} changed before your delete",
                    isolated(&current.name)
                ))
                .with_registrar(&signed_in),
                student: StudentView::of(&current, signed_in.disclosure()),
                seen_version: seen.get(),
                changes: conflict::changes_after(&since, seen.get()),
                reason: typed_reason,
            };
            render(StatusCode::CONFLICT, &page)
        }
        other => Err(unexpected(&other)),
    }
}
