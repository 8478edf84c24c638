//! `GET /audit/access.csv`: the access log's entries with the page's
//! filters, newest first, streamed a batch at a time (each starts below the
//! last entry of the one before).
//!
//! Columns (docs/contract.md): `id`, `at` (UTC, RFC 3339), `account`,
//! `kind`, `student_id`, `query`, `rows`, `client_addr`, `confidential`
//! (`true`/`false`). Text cells are quoted and made formula-safe as the
//! students export's are.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use sea_orm::DatabaseConnection;

use super::filters::{Filters, Typed};
use super::store::{self, Entry, Position, Scope};
use super::{ExportTally, ViewKind, Witness};
use crate::error::AppError;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::students::export::cell;

/// Entries a batch reads.
const BATCH: u64 = 500;

/// The file's first line.
pub const HEADER: &str = "id,at,account,kind,student_id,query,rows,client_addr,confidential\r\n";

/// `GET /audit/access.csv` with the page's filters.
pub async fn log_csv(
    State(state): State<AppState>,
    witness: Witness,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let tally = witness.export(ViewKind::AccessLogExport);
    let filters = Filters::parse(&Typed::from_pairs(&pairs))
        .map_err(|problem| AppError::BadRequest(problem.message()))?;
    let (scope, _) = super::pages::resolved(&state, &filters).await?;
    Ok(response(state.db.clone(), scope, tally))
}

fn response(db: DatabaseConnection, scope: Scope, tally: Arc<ExportTally>) -> Response {
    let header = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
        HEADER.as_bytes(),
    ))]);
    let batches = stream::unfold(Some(None::<Position>), move |next| {
        let (db, scope, tally) = (db.clone(), scope.clone(), Arc::clone(&tally));
        async move {
            let before = next?;
            match store::rows(&db, &scope, before, BATCH).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    tally.add(rows.len());
                    let last = rows
                        .last()
                        .filter(|_| rows.len() as u64 == BATCH)
                        .map(|e| Position { at: e.at, id: e.id });
                    let mut chunk = String::with_capacity(rows.len() * 96);
                    for row in &rows {
                        write_row(&mut chunk, row);
                    }
                    Some((Ok(Bytes::from(chunk)), last.map(Some)))
                }
                Err(err) => {
                    tracing::error!(error = %err, "access log CSV stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"access.csv\"",
            ),
        ],
        Body::from_stream(stream::StreamExt::chain(header, batches)),
    )
        .into_response()
}

fn write_row(out: &mut String, e: &Entry) {
    let optional = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let cells = [
        e.id.to_string(),
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        cell(&e.account),
        e.kind.to_string(),
        optional(e.student_id),
        cell(e.query.as_deref().unwrap_or_default()),
        optional(e.rows),
        cell(&e.client_addr),
        e.confidential.to_string(),
    ];
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}
