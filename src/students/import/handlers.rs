//! The handlers of a CSV import from the browser: upload (checked once,
//! its rows kept), preview, confirm (a job), progress and result, the
//! refused rows as CSV, and the merge page of a refused row.

use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;

use super::check::{self, CheckError};
use super::job::all_or_nothing::ALL_OR_NOTHING_ROWS;
use super::job::{self, StartError};
use super::pages::{
    ImportPage, ImportPreviewPage, ImportProgressPage, ImportResultPage, ListedRow, OutcomeCount,
};
use super::parse::problems::Problem;
use super::store::checks;
use super::store::imports::{self, Import};
use super::store::rows::{self as import_rows, StoredRow};
use crate::auth::{SignedIn, csrf};
use crate::db::entities::import::ImportState;
use crate::db::entities::import_row::{RowOutcome, RowResult};
use crate::error::AppError;
use crate::http::form::Form;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::students::conflict;
use crate::students::export;
use crate::students::form::StudentForm;
use crate::students::paths;
use crate::students::record::conflict_pages::ConflictPage;
use crate::students::store::{self as students, revisions};
use crate::views::{Layout, isolated, render};

/// Largest CSV file accepted, counted on the file itself (the forms'
/// 64 KiB limit does not apply here): a file of exactly this size is taken.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Room for the multipart framing and the token around the file.
pub const MAX_FRAMING_BYTES: usize = 64 * 1024;
/// Rows each list of the preview and the result shows.
const LISTED_ROWS: u64 = 20;
/// Rows needing attention the preview lists (conflicts with their
/// comparison, deleted, unknown, invalid).
const ATTENTION_ROWS: u64 = 100;
/// How long an upload waits for its check before answering with the page
/// that reloads until the check is done.
const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Seconds between reloads of the progress page.
const REFRESH_SECONDS: u32 = 2;

fn layout(title: &str, registrar: &SignedIn, has_errors: bool) -> Layout {
    Layout::new(title)
        .with_registrar(registrar)
        .with_errors(has_errors)
}

/// `GET /students/import`
pub async fn upload_form(registrar: SignedIn) -> Result<Response, AppError> {
    let page = ImportPage {
        layout: layout("Import students", &registrar, false),
        problems: Vec::new(),
        total_problems: 0,
        message: None,
    };
    render(StatusCode::OK, &page)
}

fn refused(
    registrar: &SignedIn,
    problems: Vec<Problem>,
    total: usize,
) -> Result<Response, AppError> {
    let page = ImportPage {
        layout: layout("Import students", registrar, true),
        problems,
        total_problems: total,
        message: None,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn file_problem(registrar: &SignedIn, message: &str) -> Result<Response, AppError> {
    refused(registrar, vec![Problem::of_file(message)], 1)
}

fn unreadable() -> AppError {
    AppError::BadRequest("The upload could not be read. Nothing was imported.")
}

/// `POST /students/import` (multipart: `csrf_token`, `file`)
pub async fn upload(
    State(state): State<AppState>,
    registrar: SignedIn,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let mut multipart = multipart.map_err(|_| AppError::UnsupportedMediaType)?;
    let mut token = None;
    let mut file: Option<(String, Bytes)> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::PayloadTooLarge);
            }
            Err(_) => return Err(unreadable()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().unwrap_or("upload.csv").to_owned();
        let limit = if name == "file" {
            MAX_UPLOAD_BYTES
        } else {
            MAX_FRAMING_BYTES
        };
        let mut bytes = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > limit {
                        return Err(AppError::PayloadTooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(AppError::PayloadTooLarge);
                }
                Err(_) => return Err(unreadable()),
            }
        }
        match name.as_str() {
            csrf::FIELD => token = String::from_utf8(bytes).ok(),
            "file" => file = Some((filename, Bytes::from(bytes))),
            _ => {}
        }
    }
    if !csrf::is_valid(token.as_deref(), Some(&registrar), &headers) {
        return Err(AppError::Forbidden);
    }
    let Some((filename, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return file_problem(&registrar, "Choose a CSV file to import.");
    };
    let started = check::start(
        &state.db,
        &state.import_checks,
        registrar.username(),
        &filename,
        bytes,
    )
    .await;
    let (id, checking) = match started {
        Ok(started) => started,
        Err(CheckError::Refused(rejected)) => {
            return refused(&registrar, rejected.problems, rejected.total);
        }
        Err(CheckError::TooMany) => {
            return file_problem(
                &registrar,
                &format!(
                    "You already have {} imports waiting for a confirm: confirm one of them \
                     before uploading another, or wait until they expire a day after their upload \
                     (those that cannot be confirmed make room by themselves).",
                    imports::PENDING_PER_REGISTRAR
                ),
            );
        }
        Err(CheckError::Interrupted) => {
            return Err(AppError::Internal(
                "a check was interrupted before it began".to_owned(),
            ));
        }
        Err(CheckError::Database(err)) => return Err(err.into()),
    };
    // A file checked within a few seconds answers with its preview (or why
    // it was refused); a longer check goes on, and its page says so and
    // reloads itself until the preview is ready.
    match tokio::time::timeout(CHECK_WAIT, checking).await {
        Ok(Ok(Err(CheckError::Refused(rejected)))) => {
            refused(&registrar, rejected.problems, rejected.total)
        }
        Ok(Ok(Err(CheckError::Database(err)))) => Err(err.into()),
        _ => Ok(see_other(&paths::import_preview(&id))),
    }
}

/// `registrar`'s import `id`; one still "checking" whose instance stopped
/// renewing its check is failed first, so its page says so.
async fn find_import(state: &AppState, id: &str, registrar: &SignedIn) -> Result<Import, AppError> {
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

/// `GET /students/import/{id}`: the preview while it waits for a confirm,
/// the progress while it runs, the result once it is finished.
pub async fn show(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(id): Path<String>,
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
        ImportState::Pending => preview(&state, &registrar, import, None).await,
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

/// The preview; with `refused_confirm`, the `422` answer to a confirm
/// that cannot start, saying why.
async fn preview(
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

/// A stored row as a page lists it: its problems, and for a conflict the
/// three-way comparison (or, on the result page, its merge link).
async fn listed(
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

fn form_of(row: &StoredRow) -> StudentForm {
    StudentForm {
        name: row.name.clone(),
        address: row.address.clone(),
        gpa: row.gpa.clone(),
    }
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

async fn result(
    state: &AppState,
    registrar: &SignedIn,
    import: Import,
) -> Result<Response, AppError> {
    let counts = result_counts(state, &import).await?;
    let mut refused_rows = Vec::new();
    for row in import_rows::rows_resulting(
        &state.db,
        &import.id,
        RowResult::Refused,
        -1,
        ATTENTION_ROWS,
    )
    .await?
    {
        refused_rows.push(listed(state, &import, row, true).await?);
    }
    let mut written_rows = Vec::new();
    for row in
        import_rows::rows_resulting(&state.db, &import.id, RowResult::Written, -1, LISTED_ROWS)
            .await?
    {
        written_rows.push(listed(state, &import, row, false).await?);
    }
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

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    all_or_nothing: Option<String>,
}

/// `POST /students/import/{id}` (`all_or_nothing=1` optional): starts the
/// job and leads to its progress; a second confirm leads there too and
/// starts nothing.
pub async fn confirm(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let import = find_import(&state, &id, &registrar).await?;
    let all_or_nothing = match form.all_or_nothing.as_deref() {
        None | Some("" | "0") => false,
        Some("1") => true,
        Some(_) => return Err(AppError::BadRequest("all_or_nothing is 1 or absent.")),
    };
    let location = paths::import_preview(&import.id);
    match job::start(&state.db, &import, all_or_nothing).await {
        Ok(lease) => {
            tracing::info!(registrar = %registrar.username(), import = %import.id, rows = import.rows, all_or_nothing, "CSV import confirmed");
            crate::metrics::spawn_counted(
                state.metrics.clone(),
                job::run(state.db.clone(), import.id.clone(), lease),
            );
            Ok(see_other(&location))
        }
        Err(StartError::NotPending) => Ok(see_other(&location)),
        Err(StartError::NotClean) => {
            preview(&state, &registrar, import, None)
                .await
                .map(|mut response| {
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    response
                })
        }
        Err(StartError::TooLarge) => {
            let why = format!(
                "All or nothing takes files of at most {} rows; this one has {}. \
                 Confirm without it, or split the file.",
                ALL_OR_NOTHING_ROWS, import.rows
            );
            preview(&state, &registrar, import, Some(why)).await
        }
        Err(StartError::Refused(refused)) => Err(refused.into()),
        Err(StartError::Database(err)) => Err(err.into()),
    }
}

/// Refused rows per query of the CSV download.
const CSV_BATCH: u64 = 500;

/// `GET /students/import/{id}/refused.csv`: each refused row with the
/// record's current values and version in the import's columns (so the
/// file imports cleanly once fixed) and the file's values beside them in
/// columns the import ignores.
pub async fn refused_csv(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let import = find_import(&state, &id, &registrar).await?;
    let db = state.db.clone();
    let header = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
        REFUSED_HEADER.as_bytes(),
    ))]);
    let batches = stream::unfold(Some(-1_i64), move |after| {
        let db = db.clone();
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
            let mut chunk = String::new();
            for row in &rows {
                let current = match row.student_id {
                    Some(student) => students::find(&db, student).await.ok().flatten(),
                    None => None,
                };
                refused_line(&mut chunk, row, current.as_ref());
            }
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

pub const REFUSED_HEADER: &str =
    "id,name,address,gpa,version,file_line,file_version,file_name,file_address,file_gpa\r\n";

/// One line of the refused rows' CSV.
pub fn refused_line(out: &mut String, row: &StoredRow, current: Option<&students::Student>) {
    let (name, address, gpa, version) = match current {
        Some(c) => (
            c.name.clone(),
            c.address.clone(),
            c.gpa_text(),
            c.version.to_string(),
        ),
        None => Default::default(),
    };
    let cells = [
        row.student_id.map(|i| i.to_string()).unwrap_or_default(),
        export::cell(&name),
        export::cell(&address),
        gpa,
        version,
        row.line.to_string(),
        row.version.map(|v| v.to_string()).unwrap_or_default(),
        export::cell(&row.name),
        export::cell(&row.address),
        export::cell(&row.gpa),
    ];
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// `GET /students/import/{id}/rows/{seq}/merge`: the conflict page for a
/// refused row, its merge form prefilled with the file's values on top of
/// the record as it is now.
pub async fn merge(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path((id, seq)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let import = find_import(&state, &id, &registrar).await?;
    let seq: i64 = seq.parse().map_err(|_| AppError::NotFound)?;
    let row = import_rows::row(&state.db, &import.id, seq)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(student), Some(version)) = (row.student_id, row.version) else {
        return Err(AppError::NotFound);
    };
    let current = students::find(&state.db, student)
        .await?
        .ok_or(AppError::NotFound)?;
    let since = revisions::since(&state.db, student, version).await?;
    let page = ConflictPage {
        layout: Layout::new(format!(
            "{} changed since the file's version",
            isolated(&current.name)
        ))
        .with_registrar(&registrar),
        name: current.name.clone(),
        comparison: conflict::compare(&current, version, &form_of(&row), &since),
        revision: None,
        reason: String::new(),
    };
    render(StatusCode::OK, &page)
}
