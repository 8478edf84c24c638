//! `GET /students`: the list, searched, sorted and paged.
//!
//! - [`query`]: what the list's address asks for, read leniently;
//! - [`db`]: the queries, fast at a million students;
//! - [`page`]: the page struct and its links;
//! - [`postings`]: MariaDB's candidates from its trigram postings.

pub mod db;
mod hold;
pub mod page;
pub mod postings;
pub mod query;
mod search;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::flash::{Flash, PendingFlash};
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::students::record::views::StudentView;
use crate::students::store::numbers;
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
    let rows = db::list(&state.db, &query, registrar.disclosure()).await?;
    // A search for a student number shows that student first.
    let numbered = match query.number() {
        Some(number) => numbers::student(&state.db, &number).await?,
        None => None,
    };
    // After a delete, the list names the record it deleted.
    let deleted = match flash {
        Some(Flash::Deleted(id)) => crate::students::store::find(&state.db, id)
            .await?
            .map(|student| student.name),
        _ => None,
    };
    let layout = Layout::new("Students")
        .with_registrar(&registrar)
        .with_flash(flash)
        .with_flash_subject(deleted);
    let disclosure = registrar.disclosure();
    let mut page = ListPage::new(layout, query, &rows, disclosure);
    page.numbered = numbered.as_ref().map(|s| StudentView::of(s, disclosure));
    render(StatusCode::OK, &page)
}
