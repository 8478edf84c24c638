//! The handlers of a CSV import from the browser: upload, check every row,
//! show a preview, and create all the students only when the registrar
//! confirms.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::pages::{ImportPage, ImportPreviewPage};
use super::parse::{self, Problem};
use super::pending::{self, Upload};
use crate::auth::roles::{self, Role};
use crate::auth::{Registrar, csrf};
use crate::db::{begin_write, now};
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::redirect::{see_other, see_other_with};
use crate::state::AppState;
use crate::students::paths;
use crate::students::record::views::StudentView;
use crate::students::store::{Action, bulk};
use crate::views::{Layout, render};

/// Largest CSV file accepted (the forms' 64 KiB limit does not apply here).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 20;

fn layout(title: &str, registrar: &Registrar, has_errors: bool) -> Layout {
    Layout::new(title)
        .with_registrar(registrar)
        .with_errors(has_errors)
}

/// `GET /students/import`
pub async fn upload_form(registrar: Registrar) -> Result<Response, AppError> {
    let page = ImportPage {
        layout: layout("Import students", &registrar, false),
        problems: Vec::new(),
        total_problems: 0,
        message: None,
    };
    render(StatusCode::OK, &page)
}

fn refused(
    registrar: &Registrar,
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

fn file_problem(message: &str) -> Vec<Problem> {
    vec![Problem::of_file(message)]
}

/// `POST /students/import` (multipart: `csrf_token`, `file`)
pub async fn upload(
    State(state): State<AppState>,
    registrar: Registrar,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let mut multipart = multipart.map_err(|_| AppError::UnsupportedMediaType)?;
    let mut token = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::PayloadTooLarge);
            }
            Err(_) => {
                return Err(AppError::BadRequest(
                    "The upload could not be read. Nothing was imported.",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().unwrap_or("upload.csv").to_owned();
        let bytes = field.bytes().await.map_err(|err| {
            if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The upload could not be read. Nothing was imported.")
            }
        })?;
        match name.as_str() {
            csrf::FIELD => token = String::from_utf8(bytes.to_vec()).ok(),
            "file" => file = Some((filename, bytes.to_vec())),
            _ => {}
        }
    }
    if !csrf::is_valid(token.as_deref(), Some(&registrar), &headers) {
        return Err(AppError::Forbidden);
    }
    let Some((filename, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return refused(&registrar, file_problem("Choose a CSV file to import."), 1);
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return refused(
            &registrar,
            file_problem("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
            1,
        );
    };
    let rows = match parse::parse(text.as_bytes()) {
        Ok(rows) => rows,
        Err(rejected) => return refused(&registrar, rejected.problems, rejected.total),
    };
    let id = pending::save(&state.db, registrar.username(), &filename, text, rows.len()).await?;
    Ok(see_other(&paths::import_preview(&id)))
}

async fn find_pending(
    state: &AppState,
    id: &str,
    registrar: &Registrar,
) -> Result<Upload, AppError> {
    pending::find(&state.db, id, registrar.username())
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /students/import/{id}`: what would be created.
pub async fn preview(
    State(state): State<AppState>,
    registrar: Registrar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let upload = find_pending(&state, &id, &registrar).await?;
    let rows = parse::parse(upload.csv.as_bytes()).map_err(|_| AppError::NotFound)?;
    let sample = rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|fields| StudentView {
            id: 0,
            name: fields.name.to_string(),
            address: fields.address.to_string(),
            gpa: fields.gpa.to_string(),
            version: 1,
            created_at: now().into(),
            updated_at: now().into(),
            updated_by: registrar.username().to_owned(),
        })
        .collect();
    let page = ImportPreviewPage {
        layout: layout("Check the import", &registrar, false),
        id: upload.id,
        filename: upload.filename,
        count: rows.len(),
        sample,
    };
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {}

/// `POST /students/import/{id}`: creates them all, in one transaction.
pub async fn confirm(
    State(state): State<AppState>,
    registrar: Registrar,
    Path(id): Path<String>,
    Form(_): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let upload = find_pending(&state, &id, &registrar).await?;
    let rows = parse::parse(upload.csv.as_bytes()).map_err(|_| AppError::NotFound)?;
    let txn = begin_write(&state.db).await?;
    // Whoever confirms must still be allowed to import (contract §9).
    roles::recheck(&txn, registrar.id, Role::Registrar).await?;
    // Taking the pending import out first makes a second confirm (a double
    // click, another tab) find nothing instead of importing twice.
    if !pending::take(&txn, &upload.id).await? {
        txn.rollback().await?;
        return Err(AppError::NotFound);
    }
    bulk::insert(&txn, &rows, registrar.username(), Action::Imported, now()).await?;
    txn.commit().await?;
    tracing::info!(registrar = %registrar.username(), students = rows.len(), "CSV import");
    crate::metrics::record_save("import");
    Ok(see_other_with(paths::LIST, Flash::Imported))
}
