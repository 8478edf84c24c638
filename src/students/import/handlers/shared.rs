//! What the import's handlers share: the pages' layout, the registrar's
//! import found by its id, and a stored row as a page lists it.

use crate::auth::SignedIn;
use crate::db::entities::import::ImportState;
use crate::db::entities::import_row::RowOutcome;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::conflict;
use crate::students::form::StudentForm;
use crate::students::import::pages::ListedRow;
use crate::students::import::store::checks;
use crate::students::import::store::imports::{self, Import};
use crate::students::import::store::rows::{self as import_rows, StoredRow};
use crate::students::paths;
use crate::students::store::{self as students, revisions};
use crate::students::values;
use crate::views::Layout;

/// Rows each list of the preview and the result shows.
pub(super) const LISTED_ROWS: u64 = 20;
/// Rows needing attention the preview lists (conflicts with their
/// comparison, deleted, unknown, invalid).
pub(super) const ATTENTION_ROWS: u64 = 100;

pub(super) fn layout(title: &str, registrar: &SignedIn, has_errors: bool) -> Layout {
    Layout::new(title)
        .with_registrar(registrar)
        .with_errors(has_errors)
}

/// `registrar`'s import `id`; one still "checking" whose instance stopped
/// renewing its check is failed first, so its page says so.
pub(super) async fn find_import(
    state: &AppState,
    id: &str,
    registrar: &SignedIn,
) -> Result<Import, AppError> {
    let import = imports::find(&state.db, id, registrar.username())
        .await?
        .ok_or(AppError::NotFound)?;
    let stalled = import.state == ImportState::Checking
        && import
            .lease_until
            .is_none_or(|lease| lease < crate::db::now());
    if !stalled {
        return Ok(import);
    }
    checks::fail_stalled_checks(&state.db, Some(registrar.username())).await?;
    imports::find(&state.db, id, registrar.username())
        .await?
        .ok_or(AppError::NotFound)
}

/// A stored row as a page lists it: its problems, and for a conflict the
/// three-way comparison (or, on the result page, its merge link).
pub(super) async fn listed(
    state: &AppState,
    import: &Import,
    row: StoredRow,
    merge_link: bool,
) -> Result<ListedRow, AppError> {
    let problems = import_rows::problems(&row);
    let comparison = match (row.outcome, row.student_id, row.version) {
        (RowOutcome::Conflict, Some(id), Some(version)) if !merge_link => {
            comparison(state, &row, id, version).await?
        }
        _ => None,
    };
    let merge_href =
        (merge_link && row.student_id.is_some()).then(|| paths::import_merge(&import.id, row.seq));
    Ok(ListedRow {
        row,
        problems,
        comparison,
        merge_href,
    })
}

pub(super) fn form_of(row: &StoredRow) -> StudentForm {
    StudentForm::from_fn(|field| values::import_row_text(row, field).to_owned())
}

/// The conflict page's comparison of the row with the record as it is now.
async fn comparison(
    state: &AppState,
    row: &StoredRow,
    id: i64,
    version: i64,
) -> Result<Option<conflict::Comparison>, AppError> {
    let Some(current) = students::find(&state.db, id).await? else {
        return Ok(None);
    };
    let since = revisions::since(&state.db, id, version).await?;
    Ok(Some(conflict::compare(
        &current,
        version,
        &form_of(row),
        &since,
    )))
}
