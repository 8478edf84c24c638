//! Handlers that write: create, edit and delete, each answering with a
//! redirect (Post/Redirect/Get) or the page that explains why not.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::conflict_pages::{ConflictPage, DeleteConflictPage, DeletedMeanwhilePage};
use super::views::{FormPage, GonePage, ShowPage, StudentView};
use crate::auth::Registrar;
use crate::cluster::submission::{self, Submission};
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::path::StudentId;
use crate::http::redirect::see_other_with;
use crate::http::retry::ask_to_retry;
use crate::metrics;
use crate::presence;
use crate::state::AppState;
use crate::students::conflict;
use crate::students::form::{
    CreateForm, DeleteForm, EditForm, StudentForm, parse_reason, parse_version,
};
use crate::students::paths;
use crate::students::protocol::{self, DeleteOutcome, EditOutcome, ProtocolError};
use crate::students::store::conflicts::{self, RejectedSubmission};
use crate::students::store::{Action, Attempt, Student, revisions};
use crate::views::{Layout, isolated, render};

/// `POST /students`
pub async fn create(
    State(state): State<AppState>,
    registrar: Registrar,
    Form(posted): Form<CreateForm>,
) -> Result<Response, AppError> {
    let submission = Submission::parse(posted.submission.as_deref())?;
    let form = posted.student;
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            let mut page = FormPage::create(form, errors).with_submission(submission);
            page.layout = page.layout.with_registrar(&registrar);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let again = || {
        FormPage::create(form.clone(), FieldErrors::default()).with_submission(submission.clone())
    };
    match protocol::create(
        &state.db,
        &fields,
        registrar.username(),
        submission.as_ref(),
    )
    .await
    {
        Ok(id) => {
            metrics::record_save(Action::Created);
            Ok(see_other_with(&paths::student(id), Flash::Created))
        }
        Err(ProtocolError::Busy(err)) => {
            tracing::warn!(error = %err, "create refused: database busy");
            busy(again(), &registrar)
        }
        Err(ProtocolError::CommitUnknown(err)) => {
            tracing::warn!(error = %err, "create: the connection was lost during COMMIT");
            match cut_commit(&state, submission.as_ref()).await {
                CutCommit::Committed(c) => Ok(see_other_with(
                    &paths::student(c.student_id),
                    Flash::Created,
                )),
                CutCommit::NotCommitted => busy(again(), &registrar),
                CutCommit::Unknown => outcome_unknown(again(), &registrar),
            }
        }
        Err(other) => Err(other.into()),
    }
}

/// What became of a write whose `COMMIT` was cut off, as far as the
/// database can tell once it answers again (contract §10).
enum CutCommit {
    Committed(submission::Committed),
    NotCommitted,
    Unknown,
}

async fn cut_commit(state: &AppState, submission: Option<&Submission>) -> CutCommit {
    let Some(submission) = submission else {
        return CutCommit::Unknown;
    };
    match submission::outcome_after_cut_commit(&state.db, submission).await {
        Some(Some(committed)) => CutCommit::Committed(committed),
        Some(None) => CutCommit::NotCommitted,
        None => CutCommit::Unknown,
    }
}

const OUTCOME_UNKNOWN_TITLE: &str = "Saved or not: unknown";
const OUTCOME_UNKNOWN: &str = "The connection to the database was lost while your change was being \
     committed, and the database could not be asked in time whether it was. Open the record (or its \
     history) in a moment to see whether your change is there. Sending this form again is safe: \
     it is applied at most once, and answers \"saved\" if it already was.";

/// `503` with the form as sent and a notice that the outcome is unknown
/// (never a guess either way).
fn outcome_unknown(mut page: FormPage, registrar: &Registrar) -> Result<Response, AppError> {
    page.layout = page.layout.with_registrar(registrar);
    page.notice = Some(OUTCOME_UNKNOWN);
    page.notice_title = OUTCOME_UNKNOWN_TITLE;
    page.layout.has_errors = true;
    let mut response = render(StatusCode::SERVICE_UNAVAILABLE, &page)?;
    ask_to_retry(&mut response);
    Ok(response)
}

/// `POST /students/{id}`: the edit protocol.
pub async fn update(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    let seen_version = parse_version(form.version.as_deref())?;
    let submission = Submission::parse(form.submission.as_deref())?;
    let yours = form.student;
    let reason = parse_reason(form.reason.as_deref());
    let typed_reason = form.reason.unwrap_or_default();
    let again = || {
        FormPage::edit(
            id.0,
            "student",
            seen_version,
            yours.clone(),
            FieldErrors::default(),
        )
        .with_reason(Some(typed_reason.clone()), None)
        .with_submission(submission.clone())
    };
    let outcome = match protocol::edit(
        &state.db,
        id.0,
        seen_version,
        &yours,
        &reason,
        registrar.username(),
        submission.as_ref(),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(ProtocolError::Busy(err)) => {
            tracing::warn!(error = %err, "edit refused: record or database busy");
            return busy(again(), &registrar);
        }
        Err(ProtocolError::CommitUnknown(err)) => {
            tracing::warn!(error = %err, "edit: the connection was lost during COMMIT");
            match cut_commit(&state, submission.as_ref()).await {
                CutCommit::Committed(_) => EditOutcome::Saved,
                CutCommit::NotCommitted => return busy(again(), &registrar),
                CutCommit::Unknown => return outcome_unknown(again(), &registrar),
            }
        }
        Err(other) => return Err(other.into()),
    };
    if let EditOutcome::Stale { current } | EditOutcome::DeletedMeanwhile { current } = &outcome {
        keep_rejected(
            &state,
            edit_rejected(current, seen_version, &yours, &typed_reason, &registrar),
        )
        .await;
    }
    let location = paths::student(id.0);
    match outcome {
        EditOutcome::Saved => {
            metrics::record_save(Action::Updated);
            Ok(see_other_with(&location, Flash::Saved))
        }
        EditOutcome::Unchanged => Ok(see_other_with(&location, Flash::NoChanges)),
        EditOutcome::Invalid {
            errors,
            reason_error,
            current,
        } => {
            let mut page = FormPage::edit(id.0, &current.name, seen_version, yours, errors)
                .with_reason(Some(typed_reason), reason_error)
                .with_submission(submission);
            page.others =
                presence::store::others(&state.db, id.0, registrar.id, crate::db::now()).await?;
            page.layout = page.layout.with_registrar(&registrar);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        EditOutcome::Stale { current } => {
            let since = revisions::since(&state.db, current.id, seen_version).await?;
            let page = ConflictPage {
                layout: Layout::new(format!(
                    "{} changed while you were editing",
                    isolated(&current.name)
                ))
                .with_registrar(&registrar),
                name: current.name.clone(),
                comparison: conflict::compare(&current, seen_version, &yours, &since),
                revision: None,
                reason: typed_reason,
            };
            render(StatusCode::CONFLICT, &page)
        }
        EditOutcome::DeletedMeanwhile { current } => {
            let layout = Layout::new(format!(
                "{} was deleted while you were editing",
                isolated(&current.name)
            ))
            .with_registrar(&registrar);
            let page = DeletedMeanwhilePage {
                gone: GonePage::new(Layout::default(), &current),
                layout,
                yours,
            };
            render(StatusCode::CONFLICT, &page)
        }
    }
}

const BUSY: &str = "Another save was holding this record (or the database was busy) for too long. \
     Nothing was saved and nothing you typed is lost: check it below and submit again.";

/// `503` with the form again, exactly as typed, and a "try again" notice.
pub(super) fn busy(mut page: FormPage, registrar: &Registrar) -> Result<Response, AppError> {
    page.layout = page.layout.with_registrar(registrar);
    page.notice = Some(BUSY);
    page.layout.has_errors = true;
    let mut response = render(StatusCode::SERVICE_UNAVAILABLE, &page)?;
    ask_to_retry(&mut response);
    Ok(response)
}

/// A refused edit, as it was sent.
fn edit_rejected<'a>(
    current: &Student,
    seen_version: i64,
    yours: &'a StudentForm,
    reason: &'a str,
    registrar: &'a Registrar,
) -> RejectedSubmission<'a> {
    RejectedSubmission {
        student_id: current.id,
        attempted: Attempt::Update,
        submitted_version: seen_version,
        current_version: current.version,
        name: Some(&yours.name),
        address: Some(&yours.address),
        gpa: Some(&yours.gpa),
        registrar: registrar.username(),
        reason: Some(reason).filter(|r| !r.trim().is_empty()),
    }
}

/// `POST /students/{id}/delete`: the same protocol as an edit.
pub async fn delete(
    State(state): State<AppState>,
    registrar: Registrar,
    id: StudentId,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let seen_version = parse_version(form.version.as_deref())?;
    let reason = parse_reason(form.reason.as_deref());
    let typed_reason = form.reason.unwrap_or_default();
    let current =
        match protocol::delete(&state.db, id.0, seen_version, &reason, registrar.username()).await?
        {
            DeleteOutcome::Deleted => {
                metrics::record_save(Action::Deleted);
                return Ok(see_other_with(paths::LIST, Flash::Deleted));
            }
            DeleteOutcome::Invalid {
                reason_error,
                current,
            } => {
                let page = ShowPage {
                    layout: Layout::new(current.name.clone())
                        .with_registrar(&registrar)
                        .with_errors(true),
                    latest_reason: revisions::latest(&state.db, &current)
                        .await?
                        .and_then(|r| r.reason),
                    others: presence::store::others(
                        &state.db,
                        id.0,
                        registrar.id,
                        crate::db::now(),
                    )
                    .await?,
                    student: StudentView::from(&current),
                    delete_reason: typed_reason,
                    delete_reason_error: Some(reason_error),
                };
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
            DeleteOutcome::Stale { current } | DeleteOutcome::AlreadyDeleted { current } => current,
        };
    let rejected = RejectedSubmission {
        student_id: id.0,
        attempted: Attempt::Delete,
        submitted_version: seen_version,
        current_version: current.version,
        name: None,
        address: None,
        gpa: None,
        registrar: registrar.username(),
        reason: Some(typed_reason.as_str()).filter(|r| !r.trim().is_empty()),
    };
    keep_rejected(&state, rejected).await;
    if current.deleted_at.is_some() {
        let layout = Layout::new(format!("{} was already deleted", isolated(&current.name)))
            .with_registrar(&registrar);
        return render(StatusCode::CONFLICT, &GonePage::new(layout, &current));
    }
    // From the version the registrar saw: a long history is not loaded.
    let since = revisions::since(&state.db, current.id, seen_version).await?;
    let page = DeleteConflictPage {
        layout: Layout::new(format!(
            "{} changed before your delete",
            isolated(&current.name)
        ))
        .with_registrar(&registrar),
        student: StudentView::from(&current),
        seen_version,
        changes: conflict::changes_after(&since, seen_version),
        reason: typed_reason,
    };
    render(StatusCode::CONFLICT, &page)
}

/// Keeps a refused submission in the record's history. Best effort: if the
/// database cannot take it now, the registrar still gets the page that
/// shows everything they typed.
pub(super) async fn keep_rejected(state: &AppState, rejected: RejectedSubmission<'_>) {
    if let Err(err) = conflicts::record(&state.db, rejected).await {
        tracing::warn!(error = %err, "could not record a conflict entry");
    }
}
