//! The preview of a checked import: its rows per outcome, the rows that
//! need attention, a sample of those to write, and whether (and how) it can
//! be confirmed.

use axum::http::StatusCode;
use axum::response::Response;

use super::shared::{ATTENTION_ROWS, LISTED_ROWS, layout, listed};
use crate::auth::SignedIn;
use crate::db::entities::import_row::RowOutcome;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::import::job::all_or_nothing::ALL_OR_NOTHING_ROWS;
use crate::students::import::pages::{ImportPreviewPage, OutcomeCount};
use crate::students::import::store::imports::Import;
use crate::students::import::store::rows as import_rows;
use crate::views::render;

/// The preview; with `refused_confirm`, the `422` answer to a confirm
/// that cannot start, saying why.
pub(super) async fn preview(
    state: &AppState,
    registrar: &SignedIn,
    import: Import,
    refused_confirm: Option<String>,
) -> Result<Response, AppError> {
    let counted = import_rows::counts(&state.db, &import.id).await?;
    let counts = [
        RowOutcome::Create,
        RowOutcome::Update,
        RowOutcome::Unchanged,
        RowOutcome::Conflict,
        RowOutcome::Deleted,
        RowOutcome::Unknown,
        RowOutcome::Invalid,
    ]
    .into_iter()
    .map(|outcome| OutcomeCount {
        outcome,
        count: counted.get(&outcome).copied().unwrap_or(0),
    })
    .collect::<Vec<_>>();
    let count = |o: RowOutcome| counted.get(&o).copied().unwrap_or(0);
    let attention_outcomes = [
        RowOutcome::Conflict,
        RowOutcome::Deleted,
        RowOutcome::Unknown,
        RowOutcome::Invalid,
    ];
    let attention_total = attention_outcomes.iter().map(|o| count(*o)).sum();
    let mut attention = Vec::new();
    for row in
        import_rows::rows_with(&state.db, &import.id, &attention_outcomes, ATTENTION_ROWS).await?
    {
        attention.push(listed(state, &import, row, false).await?);
    }
    let mut sample = Vec::new();
    for row in import_rows::rows_with(
        &state.db,
        &import.id,
        &[RowOutcome::Create, RowOutcome::Update],
        LISTED_ROWS,
    )
    .await?
    {
        sample.push(listed(state, &import, row, false).await?);
    }
    let dirty = count(RowOutcome::Invalid) + count(RowOutcome::Unknown);
    let blocked = if dirty > 0 {
        Some(format!(
            "{dirty} row{} invalid or name{} no student: nothing can be written until the file \
             is corrected and uploaded again.",
            if dirty == 1 { " is" } else { "s are" },
            if dirty == 1 { "s" } else { "" },
        ))
    } else {
        refused_confirm.clone()
    };
    let status = if refused_confirm.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ImportPreviewPage {
        layout: layout("Check the import", registrar, status != StatusCode::OK),
        checked_at: import.created_at.into(),
        import,
        counts,
        attention,
        attention_total,
        sample,
        blocked,
        all_or_nothing_rows: ALL_OR_NOTHING_ROWS,
    };
    render(status, &page)
}
