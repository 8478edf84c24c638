//! What the import's handlers share: the pages' layout, the registrar's
//! import found by its id, and a stored row as a page lists it.

use crate::auth::SignedIn;
use crate::db::entities::import::ImportState;
use crate::db::entities::import_row::{RowOutcome, RowResult};
use crate::domain::Field;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::conflict::{self, FieldChange};
use crate::students::form::StudentForm;
use crate::students::import::pages::ListedRow;
use crate::students::import::refused::NotImported;
use crate::students::import::store::checks;
use crate::students::import::store::imports::{self, Import};
use crate::students::import::store::rows::StoredRow;
use crate::students::paths;
use crate::students::store::{self as students, Student, revisions};
use crate::students::values;
use crate::views::Layout;

/// Written rows the result lists.
pub(super) const WRITTEN_ROWS: u64 = 20;
/// Refused rows the result lists (the refused rows' CSV has them all).
pub(super) const REFUSED_ROWS: u64 = 100;

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

/// What a page lists its rows for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// Before the confirm: what each row will do (an update's fields old →
    /// new, a conflict's three-way comparison, why a row will not be
    /// imported).
    Preview,
    /// After it: why each refused row was refused, and the merge page of
    /// a stale one.
    Result,
}

/// Stored rows as a page lists them, their records read in one statement.
pub(super) async fn listed_rows(
    state: &AppState,
    import: &Import,
    rows: Vec<StoredRow>,
    listing: Listing,
) -> Result<Vec<ListedRow>, AppError> {
    let ids: Vec<i64> = rows.iter().filter_map(|row| row.student_id).collect();
    let records = students::find_many(&state.db, &ids).await?;
    let mut listed = Vec::with_capacity(rows.len());
    for row in rows {
        let current = row.student_id.and_then(|id| records.get(&id));
        let why = match (listing, row.result) {
            (Listing::Preview, _) => NotImported::previewed(&row, current),
            (Listing::Result, Some(RowResult::Refused)) => {
                Some(NotImported::refused(&row, current))
            }
            (Listing::Result, _) => None,
        };
        let changes = match (listing, row.outcome, current) {
            (Listing::Preview, RowOutcome::Update, Some(current)) => changes(&row, current),
            _ => Vec::new(),
        };
        let comparison = match (listing, row.outcome, current, row.version) {
            (Listing::Preview, RowOutcome::Conflict, Some(current), Some(version)) => {
                let since = revisions::since(&state.db, current.id, version).await?;
                Some(conflict::compare(current, version, &form_of(&row), &since))
            }
            _ => None,
        };
        let merge_href = (listing == Listing::Result
            && why.as_ref().is_some_and(NotImported::merges))
        .then(|| paths::import_merge(&import.id, row.seq));
        listed.push(ListedRow {
            problems: why
                .as_ref()
                .map(|why| why.problems().to_vec())
                .unwrap_or_default(),
            row,
            changes,
            comparison,
            why,
            merge_href,
            confidential: current.is_some_and(|c| c.confidential),
        });
    }
    Ok(listed)
}

/// The fields an update row changes: the record's value now → the file's
/// (a field the file has no column for is left as it is, no change).
fn changes(row: &StoredRow, current: &Student) -> Vec<FieldChange> {
    let file = form_of(row);
    let kept = values::import_row_keeps(row);
    let now = StudentForm::from(current);
    Field::ALL
        .into_iter()
        .filter(|&field| !kept.contains(field))
        .filter(|&field| now.value(field) != file.value(field))
        .map(|field| FieldChange {
            withheld: false,
            field,
            old: Some(now.value(field).to_owned()),
            new: file.value(field).to_owned(),
        })
        .collect()
}

pub(super) fn form_of(row: &StoredRow) -> StudentForm {
    StudentForm::from_fn(|field| values::import_row_text(row, field).to_owned())
}
