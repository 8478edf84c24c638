//! Handlers that act on history (contract §7): restore an earlier version,
//! undelete a deleted student. Each answers with a redirect or the page
//! that explains why not, like the edit and the delete.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::conflict_pages::ConflictPage;
use super::views::GonePage;
use super::write::keep_rejected;
use crate::auth::Registrar;
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::path::StudentId;
use crate::http::redirect::see_other_with;
use crate::state::AppState;
use crate::students::conflict::{self, Change};
use crate::students::form::{
    RestoreForm, StudentForm, UndeleteForm, parse_reason, parse_revision, parse_version,
};
use crate::students::paths;
use crate::students::restore::{self, RestoreOutcome, UndeleteOutcome};
use crate::students::store::conflicts::RejectedSubmission;
use crate::students::store::{Action, Attempt, Student, revisions};
use crate::views::{Layout, render};

/// `POST /students/{id}/restore`: the values of version `revision` as the
/// next version, through the edit protocol.
pub async fn restore(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    Form(form): Form<RestoreForm>,
) -> Result<Response, AppError> {
    let seen_version = parse_version(form.version.as_deref())?;
    let revision = parse_revision(form.revision.as_deref())?;
    let reason = parse_reason(form.reason.as_deref());
    let typed_reason = form.reason.unwrap_or_default();
    let outcome = restore::restore(
        &state.db,
        id.0,
        seen_version,
        revision,
        &reason,
        registrar.username(),
    )
    .await?;
    match outcome {
        RestoreOutcome::Restored { from } => {
            crate::metrics::record_save(Action::Restored);
            Ok(see_other_with(&paths::student(id.0), Flash::Restored(from)))
        }
        RestoreOutcome::Unchanged => Ok(see_other_with(&paths::student(id.0), Flash::NoChanges)),
        RestoreOutcome::Gone { current } => gone(StatusCode::GONE, &current, &registrar, None, ""),
        RestoreOutcome::NotAVersion => refused(
            &registrar,
            id.0,
            "No such version".to_owned(),
            vec![format!(
                "This record has no version {revision}, so there is nothing to restore."
            )],
        ),
        RestoreOutcome::Invalid {
            errors,
            reason_error,
            ..
        } => {
            let mut problems: Vec<String> = errors
                .in_form_order()
                .map(|(field, message)| format!("{}: {message}", field.label()))
                .collect();
            problems.extend(reason_error);
            refused(
                &registrar,
                id.0,
                format!("Version {revision} cannot be restored as it is"),
                problems,
            )
        }
        RestoreOutcome::Stale { current, restored } => {
            let yours = StudentForm::from(&restored);
            keep_rejected(
                &state,
                RejectedSubmission {
                    student_id: current.id,
                    attempted: Attempt::Restore,
                    submitted_version: seen_version,
                    current_version: current.version,
                    name: Some(&yours.name),
                    address: Some(&yours.address),
                    gpa: Some(&yours.gpa),
                    registrar: registrar.username(),
                    reason: Some(typed_reason.as_str()).filter(|r| !r.trim().is_empty()),
                },
            )
            .await;
            let since = revisions::since(&state.db, current.id, seen_version).await?;
            let page = ConflictPage {
                layout: Layout::new(format!(
                    "{} changed before your restore of version {revision}",
                    current.name
                ))
                .with_registrar(&registrar),
                name: current.name.clone(),
                comparison: conflict::compare(&current, seen_version, &yours, &since),
                revision: Some(revision),
                reason: typed_reason,
            };
            render(StatusCode::CONFLICT, &page)
        }
    }
}

/// `422`: a restore refused for what it asked, not for being stale.
#[derive(Template)]
#[template(path = "students/restore_refused.html")]
pub struct RestoreRefusedPage {
    pub layout: Layout,
    pub id: i64,
    pub heading: String,
    pub problems: Vec<String>,
}

fn refused(
    registrar: &Registrar,
    id: i64,
    heading: String,
    problems: Vec<String>,
) -> Result<Response, AppError> {
    let page = RestoreRefusedPage {
        layout: Layout::new(heading.clone())
            .with_registrar(registrar)
            .with_errors(true),
        id,
        heading,
        problems,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The deleted record's page with `status`, offering undelete at its
/// current version.
fn gone(
    status: StatusCode,
    current: &Student,
    registrar: &Registrar,
    reason_error: Option<String>,
    reason: &str,
) -> Result<Response, AppError> {
    let layout = Layout::new(format!("{} was deleted", current.name))
        .with_registrar(registrar)
        .with_errors(reason_error.is_some());
    let mut page = GonePage::new(layout, current);
    page.reason = reason.to_owned();
    page.reason_error = reason_error;
    render(status, &page)
}

/// `409`: an undelete refused because the record changed (or is not
/// deleted) since the page was opened.
#[derive(Template)]
#[template(path = "students/undelete_conflict.html")]
pub struct UndeleteConflictPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub seen_version: i64,
    pub current_version: i64,
    pub changes: Vec<Change>,
}

/// `POST /students/{id}/undelete`: the deleted student back under the same
/// id, as the next version.
pub async fn undelete(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    Form(form): Form<UndeleteForm>,
) -> Result<Response, AppError> {
    let seen_version = parse_version(form.version.as_deref())?;
    let reason = parse_reason(form.reason.as_deref());
    let typed_reason = form.reason.unwrap_or_default();
    let outcome =
        restore::undelete(&state.db, id.0, seen_version, &reason, registrar.username()).await?;
    let current = match outcome {
        UndeleteOutcome::Undeleted => {
            crate::metrics::record_save(Action::Undeleted);
            return Ok(see_other_with(&paths::student(id.0), Flash::Undeleted));
        }
        UndeleteOutcome::Invalid {
            reason_error,
            current,
        } => {
            return gone(
                StatusCode::UNPROCESSABLE_ENTITY,
                &current,
                &registrar,
                Some(reason_error),
                &typed_reason,
            );
        }
        UndeleteOutcome::Stale { current } | UndeleteOutcome::NotDeleted { current } => current,
    };
    keep_rejected(
        &state,
        RejectedSubmission {
            student_id: current.id,
            attempted: Attempt::Undelete,
            submitted_version: seen_version,
            current_version: current.version,
            name: None,
            address: None,
            gpa: None,
            registrar: registrar.username(),
            reason: Some(typed_reason.as_str()).filter(|r| !r.trim().is_empty()),
        },
    )
    .await;
    let since = revisions::since(&state.db, current.id, seen_version).await?;
    let page = UndeleteConflictPage {
        layout: Layout::new(format!("{} changed before your undelete", current.name))
            .with_registrar(&registrar),
        id: current.id,
        name: current.name.clone(),
        seen_version,
        current_version: current.version,
        changes: conflict::changes_after(&since, seen_version),
    };
    render(StatusCode::CONFLICT, &page)
}
