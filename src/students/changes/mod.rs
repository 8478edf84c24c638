//! `GET /changes` and `GET /changes.csv`: the office's change log (contract
//! §12, "What the office did"). Every committed change to any student,
//! newest first, paged by cursor (`before=`): who, when, the record, the
//! action, each field old → new, the reason; an import as one entry that
//! opens its rows. Filters `by`, `action`, `since`, `until`, `student` (and
//! `import`, an import's rows); "My changes" is the log `by` oneself.
//!
//! - [`query`]: the filters, read once, and the log's addresses;
//! - [`db`]: the queries, one index range each however deep the page;
//! - [`entries`]: entries as shown, with the records and what changed;
//! - [`page`], [`csv`]: the page and the CSV of the same entries.

pub mod csv;
pub mod db;
pub mod entries;
pub mod page;
pub mod query;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::DatabaseConnection;

use self::db::Scope;
use self::entries::Entry;
use self::page::ChangesPage;
use self::query::{Filters, Typed};
use crate::access::{ViewKind, Witness};
use crate::accounts;
use crate::auth::SignedIn;
use crate::domain::Username;
use crate::error::AppError;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::students::store;
use crate::views::{Layout, isolated, render};
use crate::zone::Zone;

/// Entries per page.
const PAGE: u64 = 50;

/// `GET /changes?by=&action=&since=&until=&student=&import=&before=`
pub async fn log(
    State(state): State<AppState>,
    registrar: SignedIn,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let typed = Typed::from_pairs(&pairs);
    let layout = |title: String| Layout::new(title).with_registrar(&registrar);
    let filters = match Filters::parse(&typed) {
        Ok(filters) => filters,
        Err(problem) => {
            let page = ChangesPage::refused(layout("Changes".to_owned()), typed, problem);
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let resolved = Resolved::of(&state.db, &filters).await?;
    let before = match query::before(&pairs) {
        Some(id) => db::position_of(&state.db, id).await?,
        None => None,
    };
    let mut rows = db::rows(
        &state.db,
        &resolved.scope(&filters, state.zone),
        before,
        PAGE + 1,
    )
    .await?;
    let has_more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let entries = entries::entries(&state.db, rows, registrar.disclosure()).await?;
    let older = entries.last().filter(|_| has_more).map(Entry::revision_id);
    let heading = heading(&filters, &resolved, &registrar);
    let mut page = ChangesPage::new(layout(heading.clone()), heading, typed, &filters, entries);
    page.notes = resolved.notes(&filters);
    page.first_page = before.is_none();
    page.newest_href = before.map(|_| filters.href(None));
    page.older_href = older.map(|id| filters.href(Some(id)));
    if let Some(import) = &filters.import {
        page.import = db::import_entry(&state.db, import).await?.map(Into::into);
    }
    render(StatusCode::OK, &page)
}

/// `GET /changes.csv` with the page's filters: every entry, streamed;
/// recorded in the access log with its query and the entries sent.
pub async fn log_csv(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let tally = witness.export(ViewKind::ChangeLogExport);
    let filters = Filters::parse(&Typed::from_pairs(&pairs))
        .map_err(|problem| AppError::BadRequest(problem.message()))?;
    let resolved = Resolved::of(&state.db, &filters).await?;
    Ok(csv::response(
        state.db.clone(),
        resolved.scope(&filters, state.zone),
        registrar.disclosure(),
        tally,
    ))
}

/// The filters that name things, looked up: the account `by` names (its
/// username as stored: usernames are unique regardless of case), and the
/// student `student` names.
struct Resolved {
    by: Option<String>,
    by_found: bool,
    student: Option<store::Student>,
}

impl Resolved {
    async fn of(db: &DatabaseConnection, filters: &Filters) -> Result<Resolved, AppError> {
        let account = match &filters.by {
            Some(by) => accounts::find_by_username(db, &by.key()).await?,
            None => None,
        };
        let student = match filters.student {
            Some(id) => store::find(db, id).await?,
            None => None,
        };
        Ok(Resolved {
            by_found: account.is_some(),
            by: account
                .map(|a| a.username)
                .or_else(|| filters.by.as_ref().map(|by| by.as_str().to_owned())),
            student,
        })
    }

    fn scope(&self, filters: &Filters, zone: Zone) -> Scope {
        Scope {
            by: self.by.clone(),
            action: filters.action,
            from: filters.from_instant(zone),
            to: filters.to_instant(zone),
            student: filters.student,
            import: filters.import.clone(),
            grouped: filters.groups_imports(),
        }
    }

    /// What the filters name that does not exist.
    fn notes(&self, filters: &Filters) -> Vec<String> {
        let mut notes = Vec::new();
        if let (Some(by), false) = (&filters.by, self.by_found) {
            notes.push(format!("No account is named “{by}”."));
        }
        if let (Some(id), None) = (filters.student, &self.student) {
            notes.push(format!("No student has the id {id}."));
        }
        notes
    }
}

/// "My changes" for the log `by` oneself; "Changes by grace", "Changes to
/// Ada Lovelace", "An import's rows"; else "Changes".
fn heading(filters: &Filters, resolved: &Resolved, registrar: &SignedIn) -> String {
    let mine = |by: &Username| by.key() == registrar.username().to_ascii_lowercase();
    if filters.import.is_some() {
        "An import's rows".to_owned()
    } else if let Some(student) = &resolved.student {
        format!("Changes to {}", isolated(&student.name))
    } else if filters.by.as_ref().is_some_and(mine) {
        "My changes".to_owned()
    } else if let Some(by) = &resolved.by {
        format!("Changes by {by}")
    } else {
        "Changes".to_owned()
    }
}
