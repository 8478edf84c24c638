//! `GET /students`: the list, searched, sorted and paged.
//!
//! - [`query`]: what the list's address asks for, read leniently;
//! - [`db`]: the queries, fast at a million students;
//! - [`page`]: the page struct and its links.

pub mod db;
pub mod page;
pub mod query;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::flash::PendingFlash;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::views::{Layout, render};
use page::ListPage;
use query::ListQuery;

/// `GET /students`
pub async fn list(
    State(state): State<AppState>,
    registrar: SignedIn,
    PendingFlash(flash): PendingFlash,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let query = ListQuery::from_pairs(&pairs);
    let rows = db::list(&state.db, &query).await?;
    let layout = Layout::new("Students")
        .with_registrar(&registrar)
        .with_flash(flash);
    render(StatusCode::OK, &ListPage::new(layout, query, &rows))
}
