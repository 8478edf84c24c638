//! `GET` and `POST /students/import`: the upload form, and the upload,
//! checked once (its rows kept) before it answers with the preview, or
//! with the page that reloads until the check is done.

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::shared::layout;
use crate::auth::{SignedIn, csrf};
use crate::error::AppError;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::students::import::check::{self, CheckError};
use crate::students::import::pages::ImportPage;
use crate::students::import::parse::problems::Problem;
use crate::students::import::store::imports;
use crate::students::paths;
use crate::views::render;

/// Largest CSV file accepted, counted on the file itself (the forms'
/// 64 KiB limit does not apply here): a file of exactly this size is taken.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Room for the multipart framing and the token around the file.
pub const MAX_FRAMING_BYTES: usize = 64 * 1024;
/// How long an upload waits for its check before answering with the page
/// that reloads until the check is done.
const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// `GET /students/import`
pub async fn upload_form(registrar: SignedIn) -> Result<Response, AppError> {
    let page = ImportPage {
        layout: layout("Import students", &registrar, false),
        problems: Vec::new(),
        total_problems: 0,
        message: None,
        max_upload_bytes: MAX_UPLOAD_BYTES,
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
        max_upload_bytes: MAX_UPLOAD_BYTES,
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
