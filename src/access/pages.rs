//! `GET /audit/access` (admins): the access log, newest first, filtered
//! and paged by cursor (`before=`), each entry with who, when, what, from
//! where, and whether the record was confidential. Reading it is itself
//! recorded.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::filters::{self, Filters, Problem, Typed};
use super::store::{self, Entry, Scope};
use super::{ViewKind, Witness};
use crate::accounts;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::students::paths;
use crate::views::{Instant, Layout, render};

/// Entries per page.
const PAGE: u64 = 50;

/// One entry as the page shows it.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub id: i64,
    pub at: Instant,
    pub account: String,
    pub kind: ViewKind,
    pub student_id: Option<i64>,
    pub query: Option<String>,
    pub rows: Option<i64>,
    pub client_addr: String,
    pub confidential: bool,
}

impl From<Entry> for EntryView {
    fn from(e: Entry) -> Self {
        EntryView {
            id: e.id,
            at: e.at.into(),
            account: e.account,
            kind: e.kind,
            student_id: e.student_id,
            query: e.query,
            rows: e.rows,
            client_addr: e.client_addr,
            confidential: e.confidential,
        }
    }
}

impl EntryView {
    /// The student's history, where its other views are listed too.
    pub fn student_href(&self) -> Option<String> {
        self.student_id.map(paths::history)
    }
}

#[derive(Template)]
#[template(path = "audit/access.html")]
pub struct AccessPage {
    pub layout: Layout,
    pub typed: Typed,
    /// The filter that could not be read (the page is a `400`).
    pub problem: Option<Problem>,
    /// What a filter names that does not exist.
    pub notes: Vec<String>,
    pub entries: Vec<EntryView>,
    pub filtered: bool,
    pub first_page: bool,
    pub newest_href: Option<String>,
    pub next_href: Option<String>,
    pub csv_href: Option<String>,
}

impl AccessPage {
    pub fn page_path(&self) -> &'static str {
        filters::PAGE_PATH
    }

    /// The filter form's inputs: name, label, input type, value as typed,
    /// and whether it takes digits.
    pub fn inputs(&self) -> [(&'static str, &'static str, &'static str, &str, bool); 4] {
        [
            ("account", "Account", "text", &self.typed.account, false),
            ("student", "Student id", "text", &self.typed.student, true),
            ("since", "Since", "date", &self.typed.since, false),
            ("until", "Until", "date", &self.typed.until, false),
        ]
    }

    /// The message of the field `name`, if it is the one refused.
    pub fn error(&self, name: &str) -> Option<&'static str> {
        self.problem
            .filter(|p| p.field() == name)
            .map(Problem::message)
    }
}

/// `GET /audit/access?account=&student=&since=&until=&before=`
pub async fn log(
    State(state): State<AppState>,
    admin: SignedIn,
    witness: Witness,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    witness.saw_list(ViewKind::AccessLog);
    let typed = Typed::from_pairs(&pairs);
    let layout = Layout::new("Access log".to_owned()).with_registrar(&admin);
    let filters = match Filters::parse(&typed) {
        Ok(filters) => filters,
        Err(problem) => {
            let page = AccessPage {
                layout,
                typed,
                problem: Some(problem),
                notes: Vec::new(),
                entries: Vec::new(),
                filtered: true,
                first_page: true,
                newest_href: None,
                next_href: None,
                csv_href: None,
            };
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let (scope, notes) = resolved(&state, &filters).await?;
    let before = match filters::before(&pairs) {
        Some(id) => store::position_of(&state.db, id).await?,
        None => None,
    };
    let mut rows = store::rows(&state.db, &scope, before, PAGE + 1).await?;
    let has_more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = rows.last().filter(|_| has_more).map(|e| e.id);
    let page = AccessPage {
        layout,
        typed,
        problem: None,
        notes,
        entries: rows.into_iter().map(EntryView::from).collect(),
        filtered: filters.any(),
        first_page: before.is_none(),
        newest_href: before.map(|_| filters.href(None)),
        next_href: next.map(|id| filters.href(Some(id))),
        csv_href: Some(filters.csv_href()),
    };
    render(StatusCode::OK, &page)
}

/// The scope of `filters` (days in the office's zone, the account by its
/// stored username), and what they name that does not exist.
pub async fn resolved(
    state: &AppState,
    filters: &Filters,
) -> Result<(Scope, Vec<String>), AppError> {
    let mut scope = filters.scope(state.zone);
    let mut notes = Vec::new();
    if let Some(account) = &filters.account {
        match accounts::find_by_username(&state.db, &account.key()).await? {
            Some(found) => scope.account = Some(found.username),
            None => notes.push(format!("No account is named “{account}”.")),
        }
    }
    Ok((scope, notes))
}
