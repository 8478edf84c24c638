//! `Idempotency-Key` (contract §13): the API's answer to an unknown
//! outcome. The first request with a key claims it (a row per account and
//! key); its answer is kept in that row **in the write's own transaction**
//! (a [`Receipt`] of the write core), so the answer is in the database
//! exactly when the write is. A request sent again with the same key is
//! answered what the first was (status, `ETag`, `Location`, body) and
//! writes nothing more; one still in flight is `409`; the same key with a
//! different request is `422`.
//!
//! A claim that is never answered (the process died, the commit was cut
//! and never landed) can be taken over after [`LEASE`]: the answer is
//! written under the claim's token, so a request whose claim was taken
//! over cannot commit (its write rolls back), whichever comes first.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter, SqlErr,
};
use sha2::{Digest, Sha256};

use super::problem::{ApiError, PROBLEM_JSON};
use crate::auth::tokens::{digest, random_token};
use crate::db::entities::idempotency_key::{self, Column, Entity};
use crate::db::now;
use crate::students::protocol::{Keeping, Kept, Outcome, Receipt};

/// How long a key is remembered.
pub const KEPT_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// How long a claim without an answer stands before another request with
/// the key may take it over: longer than any request may run.
pub const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;

/// A client's `Idempotency-Key`: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The request's key, if it sent one; `400` for a malformed one.
    pub fn of(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
        let mut values = headers.get_all("idempotency-key").iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        let bytes = value.as_bytes();
        let well_formed = values.next().is_none()
            && (1..=MAX_KEY_LEN).contains(&bytes.len())
            && bytes.iter().all(|b| (0x21..=0x7e).contains(b));
        if !well_formed {
            return Err(ApiError::BadRequest(
                "Idempotency-Key must be one value of 1 to 255 visible ASCII characters (a UUID is a good choice)."
                    .into(),
            ));
        }
        Ok(Some(IdempotencyKey(
            String::from_utf8_lossy(bytes).into_owned(),
        )))
    }
}

/// What makes two requests "the same": method, path and query,
/// `If-Match`, and the body's bytes.
pub fn fingerprint(method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> String {
    let if_match = headers
        .get(header::IF_MATCH)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let mut hash = Sha256::new();
    for part in [method.as_str().as_bytes(), path.as_bytes(), if_match, body] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An API answer as a key keeps it, and as it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub etag: Option<String>,
    pub location: Option<String>,
    /// JSON text; none for a `204`/`304`.
    pub body: Option<String>,
}

impl Answer {
    /// The answer a kept row holds.
    fn of_row(row: &idempotency_key::Model) -> Option<Answer> {
        let status = StatusCode::from_u16(u16::try_from(row.status?).ok()?).ok()?;
        Some(Answer {
            status,
            etag: row.etag.clone(),
            location: row.location.clone(),
            body: row.body.clone(),
        })
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => {
                let media = if self.status.is_client_error() || self.status.is_server_error() {
                    PROBLEM_JSON
                } else {
                    "application/json"
                };
                (
                    self.status,
                    [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
                    body,
                )
                    .into_response()
            }
            None => self.status.into_response(),
        };
        let headers = response.headers_mut();
        for (name, value) in [(header::ETAG, self.etag), (header::LOCATION, self.location)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// A key this request holds: it answers for it.
#[derive(Debug, Clone)]
pub struct Claim {
    id: i64,
    token: String,
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claimed {
    /// This request answers for the key.
    Fresh(Claim),
    /// The key was answered: send that again.
    Replay(Answer),
    /// Another request with the key is still being answered.
    InFlight,
    /// The key went with a different request.
    Reused,
}

/// Claims `key` for `account`'s request with `fingerprint`.
pub async fn claim(
    db: &impl ConnectionTrait,
    account: i64,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Claimed, DbErr> {
    let key_digest = digest(&key.0);
    let at = now();
    let token = random_token();
    // A fresh key is one insert. A key already there is read; one past its
    // day is forgotten (that very row deleted) and the key starts afresh,
    // once: a row found the second time was written since, so is in date.
    let mut forget_expired = true;
    let row = loop {
        let row = idempotency_key::ActiveModel {
            id: NotSet,
            account_id: Set(account),
            key_digest: Set(key_digest.clone()),
            fingerprint: Set(fingerprint.to_owned()),
            claim: Set(token.clone()),
            claimed_at: Set(at),
            created_at: Set(at),
            status: Set(None),
            etag: Set(None),
            location: Set(None),
            body: Set(None),
        };
        match Entity::insert(row).exec(db).await {
            Ok(inserted) => {
                return Ok(Claimed::Fresh(Claim {
                    id: inserted.last_insert_id,
                    token,
                }));
            }
            Err(err) if !matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(err);
            }
            Err(_) => {}
        }
        let Some(row) = Entity::find()
            .filter(Column::AccountId.eq(account))
            .filter(Column::KeyDigest.eq(&key_digest))
            .one(db)
            .await?
        else {
            // Swept between the insert and the read: as if in flight.
            return Ok(Claimed::InFlight);
        };
        if forget_expired && row.created_at < at - KEPT_FOR {
            forget_expired = false;
            Entity::delete_many()
                .filter(Column::Id.eq(row.id))
                .filter(Column::CreatedAt.eq(row.created_at))
                .exec(db)
                .await?;
            continue;
        }
        break row;
    };
    if row.fingerprint != fingerprint {
        return Ok(Claimed::Reused);
    }
    if let Some(answer) = Answer::of_row(&row) {
        return Ok(Claimed::Replay(answer));
    }
    if row.claimed_at + LEASE > at {
        return Ok(Claimed::InFlight);
    }
    take_over(db, row, token, at).await
}

/// Takes over a claim nobody answered within [`LEASE`]; whoever else
/// tried at once, or answered meanwhile, wins instead.
async fn take_over(
    db: &impl ConnectionTrait,
    row: idempotency_key::Model,
    token: String,
    at: DateTime<Utc>,
) -> Result<Claimed, DbErr> {
    let taken = Entity::update_many()
        .col_expr(Column::Claim, Expr::value(token.clone()))
        .col_expr(Column::ClaimedAt, Expr::value(at))
        .filter(Column::Id.eq(row.id))
        .filter(Column::Claim.eq(&row.claim))
        .filter(Column::Status.is_null())
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(Claimed::Fresh(Claim { id: row.id, token }));
    }
    let answered = Entity::find_by_id(row.id).one(db).await?;
    Ok(match answered.as_ref().and_then(Answer::of_row) {
        Some(answer) => Claimed::Replay(answer),
        None => Claimed::InFlight,
    })
}

/// Writes `answer` under `claim`: what the receipt does in a write's
/// transaction, and what a request that wrote nothing does after.
async fn answer_in(
    db: &impl ConnectionTrait,
    claim: &Claim,
    answer: &Answer,
) -> Result<Kept, DbErr> {
    let written = Entity::update_many()
        .col_expr(Column::Status, Expr::value(answer.status.as_u16() as i16))
        .col_expr(Column::Etag, Expr::value(answer.etag.clone()))
        .col_expr(Column::Location, Expr::value(answer.location.clone()))
        .col_expr(Column::Body, Expr::value(answer.body.clone()))
        .filter(Column::Id.eq(claim.id))
        .filter(Column::Claim.eq(&claim.token))
        .filter(Column::Status.is_null())
        .exec(db)
        .await?;
    Ok(if written.rows_affected == 1 {
        Kept::Kept
    } else {
        Kept::ClaimLost
    })
}

/// Keeps `answer` for a request whose outcome wrote nothing (or whose
/// receipt the write already kept: then this changes nothing). A failure
/// is logged: the key then stays claimed until its lease runs out.
pub async fn settle(db: &impl ConnectionTrait, claim: &Claim, answer: &Answer) {
    if let Err(err) = answer_in(db, claim, answer).await {
        tracing::warn!(error = %err, "could not keep an idempotency key's answer");
    }
}

/// Gives the key up after a request that has no answer to keep (the
/// database busy, or the commit's outcome unknown), so that sending it
/// again runs at once instead of after the lease. The database may be out
/// of reach now: the release is tried in the background, again every
/// second, for as long as a claim's lease. Safe whatever became of the
/// write: had it committed, its answer is in the row and the release
/// changes nothing (a commit still on its way holds the row until it
/// lands); had it not, the key is free for the client's retry.
pub fn release_when_reachable(db: sea_orm::DatabaseConnection, claim: Claim) {
    tokio::spawn(async move {
        let give_up = tokio::time::Instant::now() + LEASE.to_std().unwrap_or_default();
        while tokio::time::Instant::now() < give_up {
            let released = Entity::delete_many()
                .filter(Column::Id.eq(claim.id))
                .filter(Column::Claim.eq(&claim.token))
                .filter(Column::Status.is_null())
                .exec(&db)
                .await;
            if released.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}

/// Forgets keys older than [`KEPT_FOR`]; how many.
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::CreatedAt.lt(now() - KEPT_FOR))
        .exec(db)
        .await?
        .rows_affected)
}

/// The write core's receipt of a claimed key: the answer `render` makes of
/// the outcome, kept in the write's transaction.
pub struct KeyReceipt<F> {
    pub claim: Claim,
    pub render: F,
}

impl<F: Fn(&Outcome) -> Answer + Sync> Receipt for KeyReceipt<F> {
    fn keep<'a>(&'a self, txn: &'a DatabaseTransaction, outcome: &'a Outcome) -> Keeping<'a> {
        Box::pin(async move { answer_in(txn, &self.claim, &(self.render)(outcome)).await })
    }
}
