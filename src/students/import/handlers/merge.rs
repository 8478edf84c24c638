//! `GET /students/import/{id}/rows/{seq}/merge`: the conflict page of a
//! refused row, to merge the file's values onto the record by hand.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::shared::{find_import, form_of};
use crate::access::{ViewKind, Witness};
use crate::auth::SignedIn;
use crate::db::entities::import_row::RowResult;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::conflict;
use crate::students::import::refused::NotImported;
use crate::students::import::store::rows as import_rows;
use crate::students::record::conflict_pages::ConflictPage;
use crate::students::store::{self as students, revisions};
use crate::views::{Layout, isolated, render};

/// `GET /students/import/{id}/rows/{seq}/merge`: the conflict page for a
/// row refused as stale, its merge form prefilled with the file's values
/// on top of the record as it is now (`404` for any other row).
pub async fn merge(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    Path((id, seq)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let import = find_import(&state, &id, &registrar).await?;
    let seq: i64 = seq.parse().map_err(|_| AppError::NotFound)?;
    let row = import_rows::row(&state.db, &import.id, seq)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(student), Some(version)) = (row.student_id, row.version) else {
        return Err(AppError::NotFound);
    };
    let current = students::find(&state.db, student)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only a row refused as stale has a merge: an invalid row's values are
    // not a record's, a deleted record takes no edit.
    let mergeable = row.result == Some(RowResult::Refused)
        && NotImported::refused(&row, Some(&current)).merges();
    if !mergeable {
        return Err(AppError::NotFound);
    }
    witness.saw(ViewKind::MergeForm, &current);
    let since = revisions::since(&state.db, student, version).await?;
    let page = ConflictPage {
        layout: Layout::new(format!(
            "{} changed since the file's version",
            isolated(&current.name)
        ))
        .with_registrar(&registrar),
        name: current.name.clone(),
        comparison: conflict::compare(&current, version, &form_of(&row), &since),
        revision: None,
        reason: String::new(),
    };
    render(StatusCode::OK, &page)
}
