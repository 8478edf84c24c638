//! A kept form offered back to its account (contract §12): `GET
//! /account/kept/{id}` shows the record form again with what it carried
//! and the version it had, so saving it follows §2 (a `409` when the
//! record moved meanwhile); `POST /account/kept/{id}/discard` forgets it;
//! `/account` lists them. Another account's kept form is a `404`, as one
//! that never was.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::form::{Carried, FormAction};
use super::intercept::refused;
use super::{landing, store};
use crate::auth::SignedIn;
use crate::db::entities::{kept_form, student};
use crate::db::now;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::http::form::Form;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::students::paths;
use crate::students::record::views::{FormPage, KeptNote};
use crate::views::{Instant, Layout, isolated, render};

/// `GET /account/kept/{id}`: the kept form, as the form it was.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let at = now();
    let id = kept_id(&id)?;
    let kept = store::find(&state.db, id, signed_in.id, at)
        .await?
        .ok_or(AppError::NotFound)?;
    let carried = store::carried(&kept);
    if !signed_in.role().may_change_records() {
        // Nothing lost even so: the page shows what was typed.
        return Ok(refused(AppError::NotAllowed(signed_in.role()), &carried));
    }
    if let Err(err) = store::mark_opened(&state.db, kept.id, at).await {
        tracing::warn!(error = %err, "a kept form's opening was not noted");
    }
    let note = KeptNote {
        id: kept.id,
        kept_at: Instant::from(kept.kept_at),
        why: kept.ended_by.explained(),
        discard: landing::discard_path(kept.id),
    };
    let name = match carried.student_id {
        Some(student) => crate::students::store::find(&state.db, student)
            .await?
            .map_or_else(|| format!("student {student}"), |s| s.name),
        None => String::new(),
    };
    match (carried.action, carried.student_id, carried.version) {
        (FormAction::Create, _, _) => {
            let mut page = FormPage::create(carried.values, FieldErrors::default());
            page.kept = Some(note);
            page.layout = page.layout.with_registrar(&signed_in);
            render(StatusCode::OK, &page)
        }
        (FormAction::Edit, Some(student), Some(version)) => {
            let mut page = FormPage::edit(
                student,
                &name,
                version.get(),
                carried.values,
                FieldErrors::default(),
            )
            .with_reason(carried.reason, None);
            page.kept = Some(note);
            page.layout = page.layout.with_registrar(&signed_in);
            render(StatusCode::OK, &page)
        }
        (action, Some(student), Some(version)) => {
            let page = KeptActionPage::new(action, student, &name, version.get(), &carried, note);
            render(
                StatusCode::OK,
                &KeptActionPage {
                    layout: page.layout.with_registrar(&signed_in),
                    ..page
                },
            )
        }
        // Never kept so (see `Carried::is_whole`).
        _ => Err(AppError::NotFound),
    }
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /account/kept/{id}/discard`
pub async fn discard(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(_): Form<EmptyForm>,
) -> Result<Response, AppError> {
    let id = kept_id(&id)?;
    if !store::discard(&state.db, id, signed_in.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/account"))
}

fn kept_id(segment: &str) -> Result<i64, AppError> {
    crate::http::path::StudentId::parse(segment)
        .map(|id| id.0)
        .ok_or(AppError::NotFound)
}

/// A kept delete, restore or undelete, as a form of its own.
#[derive(Template)]
#[template(path = "kept/action.html")]
pub struct KeptActionPage {
    pub layout: Layout,
    pub heading: String,
    pub lead: String,
    /// Where the form is posted: the record form's own route.
    pub action: String,
    pub version: i64,
    pub revision: Option<i64>,
    pub reason: String,
    pub reason_error: Option<String>,
    pub submit_label: String,
    /// The button warns (a delete).
    pub warning: bool,
    pub cancel_href: String,
    pub kept: KeptNote,
}

impl KeptActionPage {
    fn new(
        action: FormAction,
        student: i64,
        name: &str,
        version: i64,
        carried: &Carried,
        kept: KeptNote,
    ) -> Self {
        let name = isolated(name);
        let revision = carried.revision.map(|r| r.get());
        let restored = revision.unwrap_or_default();
        let (heading, lead, route, submit_label) = match action {
            FormAction::Restore => (
                format!("Restore version {restored} of {name}"),
                format!(
                    "This brings back the values of version {restored} as the record's next \
                     version. If it changed since version {version}, you see what changed first."
                ),
                paths::restore(student),
                format!("Restore version {restored}"),
            ),
            FormAction::Undelete => (
                format!("Undelete {name}"),
                format!(
                    "This brings the record back as it was when it was deleted (version \
                     {version}). If it changed since, you see what changed first."
                ),
                paths::undelete(student),
                "Undelete this record".to_owned(),
            ),
            _ => (
                format!("Delete {name}"),
                format!(
                    "This deletes the record you saw at version {version}; its history is kept. \
                     If it changed since, you see what changed first."
                ),
                paths::delete(student),
                "Delete".to_owned(),
            ),
        };
        KeptActionPage {
            layout: Layout::new(heading.clone()),
            heading,
            lead,
            action: route,
            version,
            revision,
            reason: carried.reason.clone().unwrap_or_default(),
            reason_error: None,
            submit_label,
            warning: action == FormAction::Delete,
            cancel_href: paths::student(student),
            kept,
        }
    }
}

/// One kept form, as `/account` lists it.
#[derive(Debug, Clone)]
pub struct KeptRow {
    pub href: String,
    /// What the form did ("Edit").
    pub what: &'static str,
    /// Whom it was about: the student's name (a new student's as typed).
    pub subject: String,
    pub kept_at: Instant,
}

/// The account's kept forms, newest first, as `/account` lists them.
pub async fn rows(state: &AppState, registrar_id: i64) -> Result<Vec<KeptRow>, DbErr> {
    let kept = store::of_account(&state.db, registrar_id, now()).await?;
    let ids: Vec<i64> = kept.iter().filter_map(|k| k.student_id).collect();
    let names: HashMap<i64, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        student::Entity::find()
            .filter(student::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    };
    Ok(kept
        .iter()
        .map(|k: &kept_form::Model| KeptRow {
            href: landing::path(k.id),
            what: k.action.label(),
            subject: match k.student_id {
                Some(id) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("student {id}")),
                None => store::carried(k).values.name,
            },
            kept_at: Instant::from(k.kept_at),
        })
        .collect())
}
