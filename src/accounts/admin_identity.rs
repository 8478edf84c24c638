//! `POST /accounts/{username}/identity`: an admin links an account to a
//! university identity (contract §14), by the identifier (`sub`) the
//! identity provider gives it; never by username or e-mail.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::admin::{account_page, admin, named_in_path};
use super::provider::{self, LinkError};
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::flash::Flash;
use crate::http::form::Form;
use crate::http::redirect::see_other_with;
use crate::state::AppState;
use crate::views::render;

#[derive(Debug, Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    subject: String,
}

pub async fn link(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(username): Path<String>,
    Form(form): Form<IdentityForm>,
) -> Result<Response, AppError> {
    let Some(oidc) = state.oidc.clone() else {
        return Err(AppError::NotFound);
    };
    let account = named_in_path(&state.db, &username).await?;
    let subject = form.subject.trim();
    let problem = if subject.is_empty() {
        Some("Enter the university identifier (sub) to link.")
    } else if subject.len() > 255 || !subject.chars().all(|c| c.is_ascii_graphic()) {
        Some("A university identifier is at most 255 letters, digits or signs, without spaces.")
    } else {
        None
    };
    let refused = match problem {
        Some(problem) => problem,
        None => {
            match provider::link(
                &state.db,
                &admin(&registrar),
                &account.username_key,
                oidc.issuer.as_str(),
                subject,
            )
            .await
            {
                Ok(linked) => {
                    tracing::info!(admin = %registrar.username(), account = %linked.username, "university identity linked");
                    return Ok(see_other_with(&super::path(&linked.username), Flash::Saved));
                }
                Err(LinkError::NotFound) => return Err(AppError::NotFound),
                Err(LinkError::AccountLinked) => {
                    "This account is linked to a university identity already."
                }
                Err(LinkError::IdentityTaken) => {
                    "That university identity is linked to another account."
                }
                Err(LinkError::Refused(refused)) => return Err(refused.into()),
                Err(LinkError::Database(err)) => return Err(err.into()),
            }
        }
    };
    let page = account_page(&state, &registrar, account, Some(refused.to_owned())).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
