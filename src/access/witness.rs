//! What a handler records a look through: [`Witness`] knows who is asking
//! and from where, and hands each look to the instance's queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;

use super::{AccessLog, Pending, QUERY_CHARS, ViewKind};
use crate::auth::SignedIn;
use crate::auth::client::{PeerAddr, exact_client_address};
use crate::db::now;
use crate::state::AppState;
use crate::students::store::Student;

/// The signed-in account, its client's address and the query string of a
/// request, with the log its looks are recorded in. Taking it requires a
/// session, as [`SignedIn`] does (signed out: the sign-in redirect).
#[derive(Clone)]
pub struct Witness {
    log: AccessLog,
    account: String,
    client_addr: String,
    query: Option<String>,
}

impl FromRequestParts<AppState> for Witness {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        let PeerAddr(peer) = match PeerAddr::from_request_parts(parts, state).await {
            Ok(peer) => peer,
            Err(never) => match never {},
        };
        let query = parts
            .uri
            .query()
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(QUERY_CHARS).collect());
        Ok(Witness {
            log: state.access.clone(),
            account: signed_in.username().to_owned(),
            client_addr: exact_client_address(&parts.headers, peer, &state.auth),
            query,
        })
    }
}

impl Witness {
    /// The witness of a request the caller of the JSON API made as
    /// `account` from `client_addr` (the API has no session).
    pub fn of_api(
        log: &AccessLog,
        account: &str,
        client_addr: String,
        query: Option<&str>,
    ) -> Self {
        Witness {
            log: log.clone(),
            account: account.to_owned(),
            client_addr,
            query: query
                .filter(|q| !q.is_empty())
                .map(|q| q.chars().take(QUERY_CHARS).collect()),
        }
    }

    /// Records a look of `kind` at `student` (its confidentiality as the
    /// handler read it).
    pub fn saw(&self, kind: ViewKind, student: &Student) {
        self.log.record(Pending {
            student_id: Some(student.id),
            confidential: student.confidential,
            ..self.look(kind)
        });
    }

    /// Records a look of `kind` at no one student (the access log's page),
    /// with the request's query.
    pub fn saw_list(&self, kind: ViewKind) {
        self.log.record(Pending {
            query: self.query.clone(),
            ..self.look(kind)
        });
    }

    /// A tally for an export of `kind` with the request's query: its
    /// entry, with the rows counted, is recorded when the file ends (or
    /// the client stops reading it).
    pub fn export(&self, kind: ViewKind) -> Arc<ExportTally> {
        self.tally(kind, self.query.clone())
    }

    /// [`Witness::export`] of a file its path names (`import=ID`), not its
    /// query.
    pub fn export_of(&self, kind: ViewKind, what: String) -> Arc<ExportTally> {
        self.tally(kind, Some(what.chars().take(QUERY_CHARS).collect()))
    }

    fn tally(&self, kind: ViewKind, query: Option<String>) -> Arc<ExportTally> {
        Arc::new(ExportTally {
            log: self.log.clone(),
            entry: Pending {
                query,
                ..self.look(kind)
            },
            rows: AtomicI64::new(0),
        })
    }

    fn look(&self, kind: ViewKind) -> Pending {
        Pending {
            at: now(),
            account: self.account.clone(),
            kind,
            student_id: None,
            query: None,
            rows: None,
            client_addr: self.client_addr.clone(),
            confidential: false,
        }
    }
}

/// An export's rows as they are sent; its entry is recorded when the last
/// handle on it drops (the stream ended or was dropped).
pub struct ExportTally {
    log: AccessLog,
    entry: Pending,
    rows: AtomicI64,
}

impl ExportTally {
    /// `count` more rows were sent.
    pub fn add(&self, count: usize) {
        self.rows
            .fetch_add(i64::try_from(count).unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}

impl Drop for ExportTally {
    fn drop(&mut self) {
        self.log.record(Pending {
            rows: Some(self.rows.load(Ordering::Relaxed)),
            ..self.entry.clone()
        });
    }
}
