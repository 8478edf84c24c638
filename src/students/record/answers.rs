//! From the write core's outcomes and errors to pages: what every write
//! handler of a record answers when the database could not decide.

use axum::http::StatusCode;
use axum::response::Response;

use super::views::FormPage;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::retry::ask_to_retry;
use crate::students::protocol::{Outcome, ProtocolError};
use crate::views::render;

impl From<ProtocolError> for AppError {
    fn from(err: ProtocolError) -> Self {
        match err {
            ProtocolError::NotFound => AppError::NotFound,
            ProtocolError::Busy(err) | ProtocolError::CommitUnknown(err) => {
                AppError::Unavailable(err)
            }
            ProtocolError::NotAllowed(role) => AppError::NotAllowed(role),
            ProtocolError::NotEnabled => AppError::SignedOut,
            ProtocolError::Database(err) => AppError::Database(err),
            // Pages send no receipts.
            ProtocolError::ReceiptLost => {
                AppError::Internal("a page's write lost a receipt it never had".into())
            }
        }
    }
}

/// An outcome the command cannot have (a create is never stale): a bug.
pub fn unexpected(outcome: &Outcome) -> AppError {
    AppError::Internal(format!("the write core answered {outcome:?}"))
}

/// The answer to a form whose write could not be decided: the form again,
/// exactly as typed, `503`, with what is known (busy: nothing saved; cut
/// commit: saved or not unknown). Any other error is an error page.
pub fn undecided(
    err: ProtocolError,
    page: FormPage,
    signed_in: &SignedIn,
) -> Result<Response, AppError> {
    match err {
        ProtocolError::Busy(err) => {
            tracing::warn!(error = %err, "write refused: record or database busy");
            again(page, signed_in, BUSY, None)
        }
        ProtocolError::CommitUnknown(_) => again(
            page,
            signed_in,
            OUTCOME_UNKNOWN,
            Some(OUTCOME_UNKNOWN_TITLE),
        ),
        other => Err(other.into()),
    }
}

const BUSY: &str = "Another save was holding this record (or the database was busy) for too long. \
     Nothing was saved and nothing you typed is lost: check it below and submit again.";

const OUTCOME_UNKNOWN_TITLE: &str = "Saved or not: unknown";
const OUTCOME_UNKNOWN: &str = "The connection to the database was lost while your change was being \
     committed, and the database could not be asked in time whether it was. Open the record (or its \
     history) in a moment to see whether your change is there. Sending this form again is safe: \
     it is applied at most once, and answers \"saved\" if it already was.";

/// `503` with the form as sent and `notice` (never a guess either way).
fn again(
    mut page: FormPage,
    signed_in: &SignedIn,
    notice: &'static str,
    title: Option<&'static str>,
) -> Result<Response, AppError> {
    page.layout = page.layout.with_registrar(signed_in);
    page.notice = Some(notice);
    if let Some(title) = title {
        page.notice_title = title;
    }
    page.layout.has_errors = true;
    let mut response = render(StatusCode::SERVICE_UNAVAILABLE, &page)?;
    ask_to_retry(&mut response);
    Ok(response)
}
