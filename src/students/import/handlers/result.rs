//! The result of a finished import: what was written, unchanged, held and
//! refused (each refused row with why, and the merge page of a stale one).

use axum::http::StatusCode;
use axum::response::Response;

use super::shared::{Listing, REFUSED_ROWS, WRITTEN_ROWS, layout, listed_rows};
use crate::auth::SignedIn;
use crate::db::entities::import_row::RowResult;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::import::pages::ImportResultPage;
use crate::students::import::store::imports::{self, Import};
use crate::students::import::store::rows as import_rows;
use crate::views::render;

pub(super) async fn result(
    state: &AppState,
    registrar: &SignedIn,
    import: Import,
) -> Result<Response, AppError> {
    let counts = result_counts(state, &import).await?;
    let refused =
        import_rows::rows_resulting(&state.db, &import.id, RowResult::Refused, -1, REFUSED_ROWS)
            .await?;
    let refused_rows = listed_rows(state, &import, refused, Listing::Result).await?;
    let written =
        import_rows::rows_resulting(&state.db, &import.id, RowResult::Written, -1, WRITTEN_ROWS)
            .await?;
    let written_rows = listed_rows(state, &import, written, Listing::Result).await?;
    let title = if import.failure.is_some() {
        "The import failed"
    } else {
        "Import finished"
    };
    let page = ImportResultPage {
        layout: layout(title, registrar, false),
        import,
        unchanged: counts.0,
        held: counts.1,
        refused_rows,
        written_rows,
        kept_days: imports::KEPT_FOR.num_days(),
    };
    render(StatusCode::OK, &page)
}

async fn result_counts(state: &AppState, import: &Import) -> Result<(u64, u64), AppError> {
    let count = |result: RowResult| import_rows::count_resulting(&state.db, &import.id, result);
    Ok((
        count(RowResult::Unchanged).await?,
        count(RowResult::Held).await?,
    ))
}
