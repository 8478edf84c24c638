//! Sign-in throttling that limits wrong guesses, never right ones (contract §9).
//!
//! Failures are counted in a sliding window under three keys: the username
//! *and* client address together (`per_username`, small: one guesser's
//! budget for one account), the client address (`per_client`: one guesser
//! trying many accounts), and the username from anywhere (`per_account`,
//! larger: many addresses guessing one account). A stranger elsewhere
//! therefore uses up only their own pair's budget; only a guesser with many
//! addresses reaches the account-wide limit, and that lockout ends when
//! their failures leave the window.
//!
//! Only failures count, and the check-and-count is atomic: a password check
//! may start only while failures plus checks in flight stay under every
//! limit (decided in one write transaction that every instance queues on,
//! the checks in flight recorded in `sign_in_checks`). An attempt that finds
//! the slots taken by checks in flight waits for them to end rather than
//! being refused, so any number of simultaneous right passwords all get
//! in, and simultaneous wrong guesses reach the password check at most
//! `limit` times. Within one instance, attempts for one username queue in
//! memory, so they do not poll the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::policy::Throttle;
use crate::accounts::lock_instance;
use crate::cluster::retry;
use crate::db::entities::{login_failure, sign_in_check};
use crate::db::{begin_write, now};

use super::client::storable;
pub use super::client::{PeerAddr, client_address};

/// A password check in flight stops counting after this long (the instance
/// running it must have stopped).
const CHECK_LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// How long an attempt waits for checks in flight elsewhere to end.
const MAX_WAIT: Duration = Duration::from_secs(20);

/// The keys an attempt is counted under.
#[derive(Debug, Clone)]
pub struct Guesser {
    pub username_key: String,
    pub client: String,
}

impl Guesser {
    pub fn new(username_key: &str, client: &str) -> Self {
        Guesser {
            username_key: storable(username_key),
            client: storable(client),
        }
    }
}

/// Why an attempt may not check a password now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: the wait, in seconds, until enough leave the
    /// window for one more attempt.
    TooManyFailures(u64),
    /// Checks in flight elsewhere did not end in time: try again at once.
    Busy,
}

impl Refusal {
    /// What the refused client is told: the truth about when to try again.
    pub fn message(self) -> String {
        match self {
            Refusal::TooManyFailures(wait) => {
                let minutes = wait.div_ceil(60);
                format!(
                    "Too many failed attempts. Wait {minutes} minute{} and try again.",
                    if minutes == 1 { "" } else { "s" }
                )
            }
            Refusal::Busy => "Many sign-ins to this account are being checked at once. \
                              Try again in a moment."
                .to_owned(),
        }
    }

    /// `Retry-After`, in seconds.
    pub fn retry_after(self) -> u64 {
        match self {
            Refusal::TooManyFailures(wait) => wait,
            Refusal::Busy => 1,
        }
    }
}

/// A password check that may run; [`Check::finish`] says how it went.
pub struct Check {
    id: i64,
    guesser: Guesser,
    _queued: tokio::sync::OwnedMutexGuard<()>,
}

/// Waits for a turn to check a password for `guesser`, or says why not.
pub async fn admit(
    db: &DatabaseConnection,
    throttle: &Throttle,
    guesser: &Guesser,
) -> Result<Result<Check, Refusal>, DbErr> {
    let queued = queue_for(&guesser.username_key).lock_owned().await;
    let deadline = Instant::now() + MAX_WAIT;
    let mut pause = Duration::from_millis(10);
    loop {
        match try_admit(db, throttle, guesser).await? {
            Admission::Admitted(id) => {
                return Ok(Ok(Check {
                    id,
                    guesser: guesser.clone(),
                    _queued: queued,
                }));
            }
            Admission::Refused(wait) => return Ok(Err(Refusal::TooManyFailures(wait))),
            // Checks of other instances hold the slots left: they end in
            // about one hash's time.
            Admission::Full if Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Admission::Full => return Ok(Err(Refusal::Busy)),
        }
    }
}

enum Admission {
    Admitted(i64),
    Refused(u64),
    Full,
}

async fn try_admit(
    db: &DatabaseConnection,
    throttle: &Throttle,
    guesser: &Guesser,
) -> Result<Admission, DbErr> {
    retry::write("throttle admit", || try_admit_once(db, throttle, guesser)).await
}

async fn try_admit_once(
    db: &DatabaseConnection,
    throttle: &Throttle,
    guesser: &Guesser,
) -> Result<Admission, DbErr> {
    let txn = begin_write(db).await?;
    lock_instance(&txn).await?;
    let at = now();
    let window =
        chrono::Duration::from_std(throttle.window).unwrap_or(chrono::Duration::minutes(10));
    let keys = [
        (
            Some(&guesser.username_key),
            Some(&guesser.client),
            throttle.per_username,
        ),
        (None, Some(&guesser.client), throttle.per_client),
        (Some(&guesser.username_key), None, throttle.per_account),
    ];
    let mut refused: Option<u64> = None;
    let mut full = false;
    for (username, client, limit) in keys {
        let failures = failures(&txn, username, client, at - window).await?;
        if failures >= limit {
            let wait = free_in(&txn, username, client, at, window, limit).await?;
            refused = Some(refused.unwrap_or(0).max(wait));
            continue;
        }
        if failures + in_flight(&txn, username, client, at - CHECK_LEASE).await? >= limit {
            full = true;
        }
    }
    if let Some(wait) = refused {
        txn.rollback().await?;
        return Ok(Admission::Refused(wait));
    }
    if full {
        txn.rollback().await?;
        return Ok(Admission::Full);
    }
    let inserted = sign_in_check::Entity::insert(sign_in_check::ActiveModel {
        id: NotSet,
        username_key: Set(guesser.username_key.clone()),
        client_addr: Set(guesser.client.clone()),
        started_at: Set(at),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Admission::Admitted(inserted.last_insert_id))
}

impl Check {
    /// Ends the check: a failure is counted; a success forgets this
    /// pair's failures (others' guesses at the account still count).
    pub async fn finish(self, db: &DatabaseConnection, succeeded: bool) -> Result<(), DbErr> {
        retry::write("throttle count", || self.finish_once(db, succeeded)).await
    }

    async fn finish_once(&self, db: &DatabaseConnection, succeeded: bool) -> Result<(), DbErr> {
        let txn = begin_write(db).await?;
        sign_in_check::Entity::delete_by_id(self.id)
            .exec(&txn)
            .await?;
        if succeeded {
            login_failure::Entity::delete_many()
                .filter(login_failure::Column::UsernameKey.eq(self.guesser.username_key.as_str()))
                .filter(login_failure::Column::ClientAddr.eq(self.guesser.client.as_str()))
                .exec(&txn)
                .await?;
        } else {
            login_failure::Entity::insert(login_failure::ActiveModel {
                id: NotSet,
                username_key: Set(self.guesser.username_key.clone()),
                client_addr: Set(self.guesser.client.clone()),
                at: Set(now()),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await
    }
}

fn failure_filter(
    username: Option<&String>,
    client: Option<&String>,
) -> sea_orm::Select<login_failure::Entity> {
    let mut query = login_failure::Entity::find();
    if let Some(username) = username {
        query = query.filter(login_failure::Column::UsernameKey.eq(username.as_str()));
    }
    if let Some(client) = client {
        query = query.filter(login_failure::Column::ClientAddr.eq(client.as_str()));
    }
    query
}

async fn failures(
    db: &impl ConnectionTrait,
    username: Option<&String>,
    client: Option<&String>,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    failure_filter(username, client)
        .filter(login_failure::Column::At.gt(since))
        .count(db)
        .await
}

/// Seconds until the key's failures in the window drop below `limit`:
/// when its `limit`-th most recent failure leaves the window.
async fn free_in(
    db: &impl ConnectionTrait,
    username: Option<&String>,
    client: Option<&String>,
    at: DateTime<Utc>,
    window: chrono::Duration,
    limit: u64,
) -> Result<u64, DbErr> {
    let limiting = failure_filter(username, client)
        .filter(login_failure::Column::At.gt(at - window))
        .order_by_desc(login_failure::Column::At)
        .order_by_desc(login_failure::Column::Id)
        .offset(limit.saturating_sub(1))
        .limit(1)
        .one(db)
        .await?;
    Ok(limiting.map_or(1, |failure| {
        let free_at = failure.at + window;
        // Rounded up: a client that waits this long gets in.
        let micros = (free_at - at).num_microseconds().unwrap_or(0).max(0);
        u64::try_from((micros + 999_999) / 1_000_000)
            .unwrap_or(1)
            .max(1)
    }))
}

async fn in_flight(
    db: &impl ConnectionTrait,
    username: Option<&String>,
    client: Option<&String>,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut query =
        sign_in_check::Entity::find().filter(sign_in_check::Column::StartedAt.gt(since));
    if let Some(username) = username {
        query = query.filter(sign_in_check::Column::UsernameKey.eq(username.as_str()));
    }
    if let Some(client) = client {
        query = query.filter(sign_in_check::Column::ClientAddr.eq(client.as_str()));
    }
    query.count(db).await
}

/// This instance's queue for one username: its attempts check one at a time.
fn queue_for(username_key: &str) -> Arc<tokio::sync::Mutex<()>> {
    static QUEUES: OnceLock<Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut queues = QUEUES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(queue) = queues.get(username_key).and_then(Weak::upgrade) {
        return queue;
    }
    if queues.len() > 1_000 {
        queues.retain(|_, queue| queue.strong_count() > 0);
    }
    let queue = Arc::new(tokio::sync::Mutex::new(()));
    queues.insert(username_key.to_owned(), Arc::downgrade(&queue));
    queue
}

/// Deletes failures that no window counts any more, and checks whose
/// instance stopped.
pub async fn sweep(db: &impl ConnectionTrait, throttle: &Throttle) -> Result<u64, DbErr> {
    let window =
        chrono::Duration::from_std(throttle.window).unwrap_or(chrono::Duration::minutes(10));
    let at = now();
    let failures = login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lte(at - window))
        .exec(db)
        .await?;
    let checks = sign_in_check::Entity::delete_many()
        .filter(sign_in_check::Column::StartedAt.lte(at - CHECK_LEASE))
        .exec(db)
        .await?;
    Ok(failures.rows_affected + checks.rows_affected)
}
