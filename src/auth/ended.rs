//! Sessions that ended, remembered for a day (contract §12).
//!
//! A session can end while its holder has a form open: signed out,
//! ended from another session or by a password change, idle or past its
//! limit, ended by an admin. Every one of those ends goes through
//! [`retire`], which writes down, in the same transaction that deletes the
//! session, who it belonged to, the digest of its form token, when and why
//! it ended. A form posted afterwards with that cookie and that token is
//! then known to be its account's, and is kept for it instead of lost
//! (see [`crate::kept`]). Nothing here signs anyone in: an ended session
//! only ever lets its own account's typing be kept.
//!
//! Several instances share the database, so this lives there; rows older
//! than [`REMEMBERED`] count for nothing and are swept. Sessions past
//! their limits are ended by [`end_expired`], which the upkeep runs.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};

use super::policy::AuthPolicy;
use super::tokens::{constant_time_eq, digest};
use crate::cluster::retry;
use crate::db::entities::ended_session::{self, EndCause};
use crate::db::entities::session;
use crate::db::{begin_write, now};
use crate::http::cookie::{self, SameSite, SetCookie};

/// How long an ended session is remembered.
pub const REMEMBERED: chrono::Duration = chrono::Duration::hours(24);

/// The cookie a sign-out leaves in its browser instead of the session's:
/// the ended session's token, so that a form another tab of the same
/// browser posts afterwards is still recognised as its account's. It
/// signs nobody in; signing in removes it.
pub const COOKIE: &str = "registrar_ended";

/// The cookie naming the session a sign-out just ended (its `token`),
/// for as long as it is remembered; sent back to this site alone.
pub fn cookie(token: &str) -> SetCookie {
    SetCookie::new(COOKIE, token)
        .same_site(SameSite::Strict)
        .max_age(REMEMBERED.num_seconds())
}

/// The cookie that removes [`COOKIE`].
pub fn removal() -> SetCookie {
    SetCookie::removal(COOKIE).same_site(SameSite::Strict)
}

/// The tokens a request's cookies name a session by: the session cookie's,
/// then a sign-out's [`COOKIE`].
pub fn tokens_from<'a>(headers: &'a HeaderMap, session_cookie: &str) -> Vec<&'a str> {
    [session_cookie, COOKIE]
        .into_iter()
        .filter_map(|name| cookie::read(headers, name))
        .filter(|t| !t.is_empty() && t.len() <= 64)
        .collect()
}

/// When and why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    pub at: DateTime<Utc>,
    pub cause: EndCause,
}

impl Ending {
    pub fn new(at: DateTime<Utc>, cause: EndCause) -> Self {
        Ending { at, cause }
    }

    /// A session past a limit ended when it reached the first of them
    /// (its idle limit, or its absolute one), not when someone noticed.
    pub fn by_limits(session: &session::Model, idle: chrono::Duration) -> Self {
        Ending::at_limits(session.last_seen_at, session.expires_at, idle)
    }

    /// [`Ending::by_limits`] of a session last seen at `last_seen_at`
    /// that expires at `expires_at`.
    pub fn at_limits(
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Self {
        let idle_end = last_seen_at + idle;
        if expires_at <= idle_end {
            Ending::new(expires_at, EndCause::Expired)
        } else {
            Ending::new(idle_end, EndCause::Idle)
        }
    }
}

/// Inside `txn`: remembers each of `sessions` as ended (`ending` says when
/// and why), then deletes them. The caller read them in `txn` under a
/// lock, so a session is retired once.
pub async fn retire(
    txn: &impl ConnectionTrait,
    sessions: &[session::Model],
    ending: impl Fn(&session::Model) -> Ending,
) -> Result<u64, DbErr> {
    if sessions.is_empty() {
        return Ok(0);
    }
    let remembered = sessions.iter().map(|s| {
        let ending = ending(s);
        ended_session::ActiveModel {
            token_hash: Set(s.token_hash.clone()),
            registrar_id: Set(s.registrar_id),
            csrf_digest: Set(digest(&s.csrf_token)),
            ended_at: Set(ending.at),
            cause: Set(ending.cause),
        }
    });
    ended_session::Entity::insert_many(remembered)
        .on_conflict_do_nothing_on([ended_session::Column::TokenHash])
        .exec_without_returning(txn)
        .await?;
    let deleted = session::Entity::delete_many()
        .filter(session::Column::TokenHash.is_in(sessions.iter().map(|s| s.token_hash.clone())))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected)
}

/// The session the cookie `token_hash` named, if it ended within
/// [`REMEMBERED`] before `at`.
pub async fn find(
    db: &impl ConnectionTrait,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<ended_session::Model>, DbErr> {
    Ok(ended_session::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await?
        .filter(|ended| ended.ended_at > at - REMEMBERED))
}

/// The session of account `registrar_id`, ended within [`REMEMBERED`]
/// before `at`, whose pages carried the form token `csrf_token`.
pub async fn by_form_token(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    csrf_token: &str,
    at: DateTime<Utc>,
) -> Result<Option<ended_session::Model>, DbErr> {
    let wanted = digest(csrf_token);
    Ok(ended_session::Entity::find()
        .filter(ended_session::Column::RegistrarId.eq(registrar_id))
        .filter(ended_session::Column::EndedAt.gt(at - REMEMBERED))
        .all(db)
        .await?
        .into_iter()
        .find(|ended| constant_time_eq(&ended.csrf_digest, &wanted)))
}

/// Whether `csrf_token` is the form token of the `ended` session.
pub fn carried_its_token(ended: &ended_session::Model, csrf_token: &str) -> bool {
    constant_time_eq(&ended.csrf_digest, &digest(csrf_token))
}

/// Forgets the sessions that ended more than [`REMEMBERED`] before `at`.
pub async fn sweep(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = ended_session::Entity::delete_many()
        .filter(ended_session::Column::EndedAt.lte(at - REMEMBERED))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Sessions the sweep ends in one transaction.
const SWEEP_BATCH: u64 = 500;

/// Ends every session past its idle or absolute expiry (each remembered
/// as ended when it reached its limit), a batch at a time.
pub async fn end_expired(db: &DatabaseConnection, policy: &AuthPolicy) -> Result<u64, DbErr> {
    let at = now();
    let mut swept = 0;
    loop {
        let batch = retry::write("session sweep", || async move {
            let txn = begin_write(db).await?;
            let expired = session::Entity::find()
                .filter(
                    Condition::any()
                        .add(session::Column::ExpiresAt.lte(at))
                        .add(session::Column::LastSeenAt.lte(at - policy.session_idle)),
                )
                .limit(SWEEP_BATCH)
                .lock_exclusive()
                .all(&txn)
                .await?;
            let retired = retire(&txn, &expired, |s| {
                Ending::by_limits(s, policy.session_idle)
            })
            .await?;
            txn.commit().await?;
            Ok::<_, DbErr>((expired.len(), retired))
        })
        .await?;
        swept += batch.1;
        if (batch.0 as u64) < SWEEP_BATCH {
            return Ok(swept);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{EndCause, Ending};
    use crate::db::entities::session;

    fn session(last_seen_minutes: i64, expires_minutes: i64) -> session::Model {
        let start = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        session::Model {
            token_hash: "t".into(),
            registrar_id: 1,
            csrf_token: "c".into(),
            created_at: start,
            last_seen_at: start + Duration::minutes(last_seen_minutes),
            expires_at: start + Duration::minutes(expires_minutes),
            client_addr: None,
            user_agent: None,
            began_at_provider: false,
        }
    }

    #[test]
    fn a_session_past_its_limits_ended_at_the_first_it_reached() {
        let idle = Duration::minutes(120);
        let idled = session(30, 720);
        assert_eq!(
            Ending::by_limits(&idled, idle),
            Ending::new(idled.last_seen_at + idle, EndCause::Idle)
        );
        let expired = session(700, 720);
        assert_eq!(
            Ending::by_limits(&expired, idle),
            Ending::new(expired.expires_at, EndCause::Expired)
        );
    }
}
