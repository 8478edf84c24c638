//! `POST /students/import/{id}`: the confirm, which starts the import's
//! job (in batches, or all or nothing).

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::preview::preview;
use super::shared::find_import;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::form::Form;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::students::import::job::all_or_nothing::ALL_OR_NOTHING_ROWS;
use crate::students::import::job::{self, StartError};
use crate::students::import::review::Review;
use crate::students::paths;

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
        Err(StartError::NotClean(dirty)) => {
            let why = format!(
                "Nothing was written: all or nothing writes no row unless every row can be \
                 written, and {dirty} row{} invalid or name{} no student. Confirm without it \
                 (the other rows are written, these are refused), or correct the file and \
                 upload it again.",
                if dirty == 1 { " is" } else { "s are" },
                if dirty == 1 { "s" } else { "" },
            );
            preview(&state, &registrar, import, Review::default(), Some(why)).await
        }
        Err(StartError::TooLarge) => {
            let why = format!(
                "All or nothing takes files of at most {} rows; this one has {}. \
                 Confirm without it, or split the file.",
                ALL_OR_NOTHING_ROWS, import.rows
            );
            preview(&state, &registrar, import, Review::default(), Some(why)).await
        }
        Err(StartError::Refused(refused)) => Err(refused.into()),
        Err(StartError::Database(err)) => Err(err.into()),
    }
}
