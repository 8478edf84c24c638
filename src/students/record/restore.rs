//! Handlers that act on history (contract §7): restore an earlier version,
//! undelete a deleted student. Each answers with a redirect or the page
//! that explains why not, like the edit and the delete.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::answers::unexpected;
use super::conflict_pages::ConflictPage;
use super::views::GonePage;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::path::StudentId;
use crate::http::redirect::see_other_with;
use crate::state::AppState;
use crate::students::conflict::{self, Change};
use crate::students::form::{RestoreForm, UndeleteForm, parse_revision, parse_version};
use crate::students::paths;
use crate::students::protocol::{self, Act, Command, Outcome};
use crate::students::store::Student;
use crate::students::values::StudentForm;
use crate::views::{Layout, render};

/// `POST /students/{id}/restore`: the values of version `revision` as the
/// next version, through the write core.
pub async fn restore(
    State(state): State<AppState>,
    signed_in: SignedIn,
    id: StudentId,
    Form(form): Form<RestoreForm>,
) -> Result<Response, AppError> {
    let seen = parse_version(form.version.as_deref())?;
    let revision = parse_revision(form.revision.as_deref())?;
    let typed_reason = form.reason.unwrap_or_default();
    let command = Command {
        writer: signed_in.username(),
        act: Act::Restore {
            id: id.0,
            seen,
            revision,
        },
        reason: Some(&typed_reason),
        submission: None,
        receipt: None,
    };
    match protocol::run(&state.db, &command).await? {
        Outcome::Written { .. } | Outcome::Replayed { .. } => Ok(see_other_with(
            &paths::student(id.0),
            Flash::Restored(revision.get()),
        )),
        Outcome::Unchanged { .. } => Ok(see_other_with(&paths::student(id.0), Flash::NoChanges)),
        Outcome::Gone { current } => gone(StatusCode::GONE, &current, &signed_in, None, ""),
        Outcome::NotAVersion => refused(
            &signed_in,
            id.0,
            "No such version".to_owned(),
            vec![format!(
                "This record has no version {revision}, so there is nothing to restore."
            )],
        ),
        Outcome::Invalid {
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
                &signed_in,
                id.0,
                format!("Version {revision} cannot be restored as it is"),
                problems,
            )
        }
        Outcome::Stale {
            current,
            since,
            restored: Some(restored),
        } => {
            let yours = StudentForm::from(&restored);
            let page = ConflictPage {
                layout: Layout::new(format!(
                    "{} changed before your restore of version {revision}",
                    current.name
                ))
                .with_registrar(&signed_in),
                name: current.name.clone(),
                comparison: conflict::compare(&current, seen.get(), &yours, &since),
                revision: Some(revision.get()),
                reason: typed_reason,
            };
            render(StatusCode::CONFLICT, &page)
        }
        other => Err(unexpected(&other)),
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
    registrar: &SignedIn,
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
    registrar: &SignedIn,
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
    pub confidential: bool,
}

/// `POST /students/{id}/undelete`: the deleted student back under the same
/// id, as the next version.
pub async fn undelete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    id: StudentId,
    Form(form): Form<UndeleteForm>,
) -> Result<Response, AppError> {
    let seen = parse_version(form.version.as_deref())?;
    let typed_reason = form.reason.unwrap_or_default();
    let command = Command {
        writer: signed_in.username(),
        act: Act::Undelete { id: id.0, seen },
        reason: Some(&typed_reason),
        submission: None,
        receipt: None,
    };
    let (current, since) = match protocol::run(&state.db, &command).await? {
        Outcome::Written { .. } | Outcome::Replayed { .. } => {
            return Ok(see_other_with(&paths::student(id.0), Flash::Undeleted));
        }
        Outcome::Invalid {
            reason_error,
            current: Some(current),
            ..
        } => {
            return gone(
                StatusCode::UNPROCESSABLE_ENTITY,
                &current,
                &signed_in,
                reason_error,
                &typed_reason,
            );
        }
        Outcome::Stale { current, since, .. } | Outcome::NotDeleted { current, since } => {
            (current, since)
        }
        other => return Err(unexpected(&other)),
    };
    let page = UndeleteConflictPage {
        layout: Layout::new(format!("{} changed before your undelete", current.name))
            .with_registrar(&signed_in),
        id: current.id,
        name: current.name.clone(),
        seen_version: seen.get(),
        current_version: current.version,
        changes: conflict::changes_after(&since, seen.get()),
        confidential: current.confidential,
    };
    render(StatusCode::CONFLICT, &page)
}
