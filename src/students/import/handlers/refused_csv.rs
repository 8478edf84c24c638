//! `GET /students/import/{id}/refused.csv`: the rows the confirm refused,
//! as a CSV file to fix and import again, streamed a batch at a time.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::shared::find_import;
use crate::access::{ViewKind, Witness};
use crate::auth::SignedIn;
use crate::db::entities::import_row::RowResult;
use crate::domain::Field;
use crate::error::AppError;
use crate::state::AppState;
use crate::students::export;
use crate::students::import::refused::NotImported;
use crate::students::import::store::rows::{self as import_rows, StoredRow};
use crate::students::store as students;
use crate::students::values::{self, HasValues};

/// Refused rows per query of the CSV download.
const CSV_BATCH: u64 = 500;

/// `GET /students/import/{id}/refused.csv`: each refused row with the
/// record's current values and version in the import's columns (so the
/// file imports cleanly once fixed), the file's values beside them in
/// columns the import ignores, and why it was refused. Recorded in the
/// access log (`import=ID`, the rows sent).
pub async fn refused_csv(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let import = find_import(&state, &id, &registrar).await?;
    let tally = witness.export_of(ViewKind::RefusedExport, format!("import={}", import.id));
    let db = state.db.clone();
    let header = stream::iter([Ok::<_, std::io::Error>(Bytes::from(refused_header()))]);
    let batches = stream::unfold(Some(-1_i64), move |after| {
        let (db, tally) = (db.clone(), Arc::clone(&tally));
        let id = import.id.clone();
        async move {
            let after = after?;
            let rows =
                match import_rows::rows_resulting(&db, &id, RowResult::Refused, after, CSV_BATCH)
                    .await
                {
                    Ok(rows) if rows.is_empty() => return None,
                    Ok(rows) => rows,
                    Err(err) => {
                        tracing::error!(error = %err, "refused rows CSV stopped");
                        return Some((Err(std::io::Error::other("refused rows failed")), None));
                    }
                };
            let ids: Vec<i64> = rows.iter().filter_map(|row| row.student_id).collect();
            let records = match students::find_many(&db, &ids).await {
                Ok(records) => records,
                Err(err) => {
                    tracing::error!(error = %err, "refused rows CSV stopped");
                    return Some((Err(std::io::Error::other("refused rows failed")), None));
                }
            };
            let mut chunk = String::new();
            for row in &rows {
                let current = row.student_id.and_then(|id| records.get(&id));
                refused_line(&mut chunk, row, current);
            }
            tally.add(rows.len());
            let next = rows.last().map(|last| last.seq);
            Some((Ok(Bytes::from(chunk)), next))
        }
    });
    let body = Body::from_stream(stream::StreamExt::chain(header, batches));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"refused.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The refused rows' CSV header: the row to import again (`id`, the
/// first release's fields, `version`), the file's row (`file_line`,
/// `file_version`, those fields as `file_<field>`), each field added since
/// beside its `file_<field>`, then why the row was refused (`reason`).
pub fn refused_header() -> String {
    let (first, added) = export::columns();
    let file = |field: &Field| format!("file_{}", field.name());
    let columns: Vec<String> = std::iter::once("id".to_owned())
        .chain(first.iter().map(|field| field.name().to_owned()))
        .chain(["version", "file_line", "file_version"].map(str::to_owned))
        .chain(first.iter().map(file))
        .chain(
            added
                .iter()
                .flat_map(|field| [field.name().to_owned(), file(field)]),
        )
        .chain(["reason".to_owned()])
        .collect();
    format!("{}\r\n", columns.join(","))
}

/// One line of the refused rows' CSV. The import's columns hold the record
/// as it is now, at its current version; a row with no record (a create, an
/// id no student has) keeps the file's values and version there, so fixing
/// the file is fixing those cells.
pub fn refused_line(out: &mut String, row: &StoredRow, current: Option<&students::Student>) {
    let (first, added) = export::columns();
    let file = |field: Field| export::cell(values::import_row_text(row, field));
    let again = |field: Field| match current {
        Some(current) => export::cell(&current.text(field)),
        None => file(field),
    };
    let version = match current {
        Some(current) => current.version.to_string(),
        None => row.version.map(|v| v.to_string()).unwrap_or_default(),
    };
    let why = NotImported::refused(row, current);
    let cells: Vec<String> =
        std::iter::once(row.student_id.map(|i| i.to_string()).unwrap_or_default())
            .chain(first.iter().map(|field| again(*field)))
            .chain([
                version,
                row.line.to_string(),
                row.version.map(|v| v.to_string()).unwrap_or_default(),
            ])
            .chain(first.iter().map(|field| file(*field)))
            .chain(added.iter().flat_map(|field| [again(*field), file(*field)]))
            .chain([export::cell(&why.text())])
            .collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}
