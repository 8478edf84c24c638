//! `GET /api/v1/changes`: the change feed (contract §13) — every committed
//! revision once, oldest first, paged by cursor, with an optional long
//! poll. What the feed holds and why it skips nothing is
//! [`crate::feed`]'s; this is its JSON.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use serde::Serialize;
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};

use super::caller::Caller;
use super::json::{ActionWord, ValuesBody, time};
use super::looks::ApiWitness;
use super::problem::{ApiError, Problem};
use super::request::{ApiQuery, limit};
use crate::access::ViewKind;
use crate::domain::Disclosure;
use crate::feed::{self, Change, Cursor, Page, ReadError};
use crate::state::AppState;

/// The route.
pub const PATH: &str = "/api/v1/changes";
/// The longest `wait=`; the route's request timeout is this much longer
/// than the others'.
pub const MAX_WAIT: Duration = Duration::from_secs(25);
/// After a wake-up that found nothing new after all, the pause before
/// looking again.
const RECHECK: Duration = Duration::from_millis(50);

/// How much longer than the request timeout a request `method path` may
/// take: a feed reader's longest wait on this route, nothing on any other.
pub fn long_poll(method: &Method, path: &str) -> Duration {
    if method == Method::GET && path == PATH {
        MAX_WAIT
    } else {
        Duration::ZERO
    }
}

/// The feed's query parameters (any other is refused: a mistyped `after`
/// would otherwise start a reader over from the beginning).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Where to go on from: the `next` of the page before (or a change's
    /// `cursor`). Without it, the feed starts at its beginning.
    #[param(schema_with = super::schemas::feed_cursor)]
    pub after: Option<String>,
    /// Changes per page.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u64>,
    /// When nothing is new: seconds to wait for a change before answering
    /// an empty page (answered as soon as one is there).
    #[param(minimum = 0, maximum = 25, default = 0)]
    pub wait: Option<u64>,
}

/// The parameters read.
#[derive(Debug)]
struct Asked {
    after: Option<Cursor>,
    limit: u64,
    wait: Duration,
}

/// One committed change, as the feed sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedChange {
    /// Just after this change: ask `after` it to go on from here.
    pub cursor: String,
    pub student_id: i64,
    /// The version the change made.
    pub version: i64,
    pub action: ActionWord,
    #[schema(format = DateTime)]
    pub at: String,
    /// The username of the account that made it.
    pub by: String,
    pub reason: Option<String>,
    /// The student's values after the change (for a delete, the last
    /// values); a confidential student's address is `null` for a viewer.
    pub student: ValuesBody,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    /// Oldest first; empty when nothing is new.
    pub changes: Vec<FeedChange>,
    /// Ask `after` this next (the same cursor when nothing was new).
    pub next: String,
}

impl FeedChange {
    fn new(change: &Change, disclosure: Disclosure, held: bool) -> FeedChange {
        let revision = &change.revision;
        FeedChange {
            cursor: change.cursor.to_string(),
            student_id: revision.student_id,
            version: revision.version,
            action: revision.action.into(),
            at: time(revision.at),
            by: revision.registrar.clone(),
            reason: revision.reason.clone(),
            student: ValuesBody::of_revision(revision, disclosure, held),
        }
    }
}

/// `GET /api/v1/changes?after=CURSOR&limit=N&wait=SECONDS`.
#[utoipa::path(
    get,
    path = "/api/v1/changes",
    tag = "changes",
    params(FeedParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changes after `after`, oldest first, and the cursor to ask from next.", body = FeedPage,
            links(
                ("NextPage" = (operation_id = "changes", parameters(("query.after" = "$response.body#/next"), ("query.wait" = "0")), description = "The changes after these, without waiting")),
            )),
        (status = 400, description = "`after` is not a cursor of this feed, or the query is not UTF-8.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read.", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The cursor no longer fits the feed (another epoch, or a database restored from before it): read again from the beginning.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` or `wait` out of range, or an unknown parameter; `errors` says which.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiWitness(witness): ApiWitness,
    query: ApiQuery,
) -> Result<Response, ApiError> {
    let asked = Asked::parse(&query)?;
    let page = page_waiting(&state, &asked).await?;
    let disclosure = Disclosure::of(caller.role);
    let held = if disclosure.withholds_from(true) {
        let ids: Vec<i64> = page.changes.iter().map(|c| c.revision.student_id).collect();
        feed::store::held(&state.db, &ids).await?
    } else {
        HashSet::new()
    };
    let body = FeedPage {
        changes: page
            .changes
            .iter()
            .map(|change| {
                let held = held.contains(&change.revision.student_id);
                FeedChange::new(change, disclosure, held)
            })
            .collect(),
        next: page.next.to_string(),
    };
    // A page that carried changes is a read of students' records; an
    // empty one (a tailing reader's polls) showed nothing.
    if !body.changes.is_empty() {
        witness.export(ViewKind::ApiRead).add(body.changes.len());
    }
    Ok(crate::api::json::ok(&body))
}

/// The page after `asked.after`; when it is empty and `asked.wait` is
/// not zero, waits (holding no database connection) for a change to be
/// stamped, and reads again, until the wait is over.
async fn page_waiting(state: &AppState, asked: &Asked) -> Result<Page, ApiError> {
    let deadline = Instant::now() + asked.wait;
    let mut woke = false;
    loop {
        let page = feed::read(&state.db, asked.after.as_ref(), asked.limit)
            .await
            .map_err(|err| match err {
                ReadError::Gone(why) => ApiError::CursorGone(why.to_string()),
                ReadError::Database(err) => err.into(),
            })?;
        if !page.changes.is_empty() || Instant::now() >= deadline || state.feed.is_closing() {
            return Ok(page);
        }
        if woke {
            tokio::time::sleep_until(deadline.min(Instant::now() + RECHECK)).await;
        }
        woke = state.feed.wait_beyond(page.next.position(), deadline).await;
        if !woke {
            return Ok(page);
        }
    }
}

impl Asked {
    fn parse(query: &ApiQuery) -> Result<Asked, ApiError> {
        let mut errors = BTreeMap::new();
        let mut seen = HashSet::new();
        for (key, _) in &query.0 {
            if !seen.insert(key.as_str()) {
                errors.insert(key.clone(), "given more than once".to_owned());
            } else if !["after", "limit", "wait"].contains(&key.as_str()) {
                errors.insert(
                    key.clone(),
                    "not a parameter of the change feed (after, limit, wait)".to_owned(),
                );
            }
        }
        let limit = limit(query, &mut errors);
        let most = MAX_WAIT.as_secs();
        let wait = match query.get("wait") {
            None => 0,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n <= most && !text.starts_with('+') => n,
                _ => {
                    let why = format!("must be a whole number of seconds from 0 to {most}");
                    errors.insert("wait".into(), why);
                    0
                }
            },
        };
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        let after = query
            .get("after")
            .map(Cursor::parse)
            .transpose()
            .map_err(|malformed| ApiError::BadRequest(malformed.to_string()))?;
        Ok(Asked {
            after,
            limit,
            wait: Duration::from_secs(wait),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(query: &str) -> Result<Asked, ApiError> {
        let pairs = crate::http::form::decode_pairs(query.as_bytes()).expect("UTF-8");
        Asked::parse(&ApiQuery(pairs))
    }

    fn refused(query: &str) -> BTreeMap<String, String> {
        match asked(query) {
            Err(ApiError::Invalid(errors)) => errors,
            other => panic!("{query:?}: {other:?}"),
        }
    }

    #[test]
    fn the_parameters_are_read_or_refused_by_name() {
        let read = asked("").expect("no parameters");
        assert_eq!(
            (read.after, read.limit, read.wait),
            (None, 50, Duration::ZERO)
        );
        let cursor = Cursor::at("e", 3, "h");
        let read = asked(&format!("after={cursor}&limit=200&wait=25")).expect("read");
        assert_eq!(read.after, Some(cursor));
        assert_eq!((read.limit, read.wait), (200, MAX_WAIT));
        for bad in ["limit=0", "limit=201", "limit=x", "limit=", "limit=-1"] {
            assert!(refused(bad).contains_key("limit"), "{bad}");
        }
        for bad in ["wait=26", "wait=1.5", "wait=-1", "wait=+1"] {
            assert!(refused(bad).contains_key("wait"), "{bad}");
        }
        assert!(refused("afer=x").contains_key("afer"));
        assert!(refused("limit=5&limit=6").contains_key("limit"));
        for bad in ["after=", "after=abc", "after=%C3%A9"] {
            assert!(matches!(asked(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }
    }
}
