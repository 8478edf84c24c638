//! `GET /students/import/{id}`: the page of an import in whatever state it
//! is: checking, waiting for its confirm, running, finished.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::preview::preview;
use super::result::result;
use super::shared::{find_import, layout};
use crate::auth::SignedIn;
use crate::db::entities::import::ImportState;
use crate::error::AppError;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::students::import::job;
use crate::students::import::pages::ImportProgressPage;
use crate::students::import::review::Review;
use crate::views::render;

/// Seconds between reloads of the progress page.
const REFRESH_SECONDS: u32 = 2;

/// `GET /students/import/{id}`: the preview while it waits for a confirm
/// (`outcome=`, `after=`, `before=` choose its rows), the progress while it
/// runs, the result once it is finished.
pub async fn show(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(id): Path<String>,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let import = find_import(&state, &id, &registrar).await?;
    match import.state {
        ImportState::Checking => {
            let page = ImportProgressPage {
                layout: layout("Checking the file", &registrar, false)
                    .refreshing_every(REFRESH_SECONDS),
                decided: 0,
                import,
            };
            render(StatusCode::OK, &page)
        }
        ImportState::Pending => {
            let review = Review::from_pairs(&pairs);
            preview(&state, &registrar, import, review, None).await
        }
        ImportState::Running => {
            let page = ImportProgressPage {
                layout: layout("Importing", &registrar, false).refreshing_every(REFRESH_SECONDS),
                decided: job::progress(&state.db, &import.id).await?,
                import,
            };
            render(StatusCode::OK, &page)
        }
        ImportState::Done | ImportState::Failed => result(&state, &registrar, import).await,
    }
}
