//! The preview of a checked import: its rows per outcome, the rows that
//! will not be imported (before the confirm says so), and every row, a
//! page at a time, of one class or all; then the confirm.

use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::Iterable;

use super::shared::{Listing, layout, listed_rows};
use crate::auth::SignedIn;
use crate::db::entities::import_row::RowOutcome;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::import::job::all_or_nothing::ALL_OR_NOTHING_ROWS;
use crate::students::import::pages::{ImportPreviewPage, LeftOut, OutcomeCount};
use crate::students::import::review::{ROWS_PER_PAGE, Review};
use crate::students::import::store::imports::Import;
use crate::students::import::store::row_pages::{self, RowsAt};
use crate::students::import::store::rows as import_rows;
use crate::views::render;

/// The rows that will not be imported, in the order the preview names
/// them, and how it names them.
const LEFT_OUT: [(RowOutcome, &str); 4] = [
    (RowOutcome::Invalid, "invalid"),
    (RowOutcome::Unknown, "naming no student"),
    (
        RowOutcome::Conflict,
        "changed by someone else since the export",
    ),
    (RowOutcome::Deleted, "deleted since the export"),
];

/// The preview's page `review`; with `refused_confirm`, the `422` answer
/// to a confirm that cannot start, saying why.
pub(super) async fn preview(
    state: &AppState,
    registrar: &SignedIn,
    import: Import,
    review: Review,
    refused_confirm: Option<String>,
) -> Result<Response, AppError> {
    let counted = import_rows::counts(&state.db, &import.id).await?;
    let count = |o: RowOutcome| counted.get(&o).copied().unwrap_or(0);
    let counts = RowOutcome::iter()
        .map(|outcome| OutcomeCount {
            outcome,
            count: count(outcome),
            href: Review::href(&import.id, Some(outcome), RowsAt::Start),
        })
        .collect::<Vec<_>>();
    let classes: Vec<(&'static str, u64, String)> = LEFT_OUT
        .iter()
        .filter(|(outcome, _)| count(*outcome) > 0)
        .map(|&(outcome, words)| {
            let href = Review::href(&import.id, Some(outcome), RowsAt::Start);
            (words, count(outcome), href)
        })
        .collect();
    let left_out = (!classes.is_empty()).then(|| LeftOut {
        total: classes.iter().map(|(_, n, _)| n).sum(),
        classes,
    });

    let rows = row_pages::page(
        &state.db,
        &import.id,
        review.outcome,
        review.at,
        ROWS_PER_PAGE,
    )
    .await?;
    let (mut first, mut previous_href, mut next_href) = (1, None, None);
    if let (Some(head), Some(tail)) = (rows.first(), rows.last()) {
        let (head, tail) = (head.seq, tail.seq);
        let before = row_pages::count_before(&state.db, &import.id, review.outcome, head).await?;
        first = before + 1;
        if before > 0 {
            previous_href = Some(Review::href(
                &import.id,
                review.outcome,
                RowsAt::Before(head),
            ));
        }
        if row_pages::any_after(&state.db, &import.id, review.outcome, tail).await? {
            next_href = Some(Review::href(
                &import.id,
                review.outcome,
                RowsAt::After(tail),
            ));
        }
    }
    let listed = listed_rows(state, &import, rows, Listing::Preview).await?;

    let status = if refused_confirm.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ImportPreviewPage {
        layout: layout("Check the import", registrar, status != StatusCode::OK),
        checked_at: import.created_at.into(),
        of: review.outcome.map_or(counted.values().sum(), count),
        all_href: Review::href(&import.id, None, RowsAt::Start),
        import,
        counts,
        left_out,
        showing: review.outcome,
        listed,
        first,
        previous_href,
        next_href,
        refused_confirm,
        all_or_nothing_rows: ALL_OR_NOTHING_ROWS,
    };
    render(status, &page)
}
