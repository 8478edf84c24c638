//! Connecting to the database and opening transactions that hold what they
//! promise on every backend.

pub mod entities;
pub mod joined;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseSettings;

/// Connects and applies pending migrations.
pub async fn connect_and_migrate(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    tracing::info!(database = %settings.url_redacted(), "connecting");
    // An aborted write runs again for as long as it would have waited for
    // a lock (contract §10).
    crate::cluster::retry::set_budget(settings.lock_timeout());
    let db = connect(
        settings.url(),
        settings.db_pool_size,
        settings.lock_timeout(),
    )
    .await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Connects with settings that suit the backend the URL names.
///
/// SQLite gets WAL (readers never wait for the writer), an explicit pool
/// (SeaORM would otherwise use a single connection), and the file is
/// created if missing. Waiting for a lock is bounded by `lock_timeout` on
/// every backend: PostgreSQL's `lock_timeout`, MySQL/MariaDB's
/// `innodb_lock_wait_timeout` (whole seconds), SQLite's busy timeout; a
/// wait that runs out is an error [`is_unavailable`] recognises. On a
/// Galera node, reads wait for the cluster ([`crate::cluster::wsrep`]).
pub async fn connect(
    url: &str,
    pool_size: u32,
    lock_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    let lock_ms = lock_timeout.as_millis().max(1).to_string();
    let lock_secs = lock_timeout.as_secs().max(1);
    options
        .max_connections(pool_size)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out; that is one round trip
        // per query a request makes. Only connections idle for a while are
        // checked: a connection the server dropped meanwhile fails its next
        // query, which answers 503 once, and the pool replaces it.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| sqlite_options(o, lock_timeout))
        .map_sqlx_postgres_opts(move |o| o.options([("lock_timeout", lock_ms.as_str())]));
    // One statement per pool, kept for its lifetime (sqlx wants it 'static).
    let set_lock_wait: &'static str =
        Box::leak(format!("SET SESSION innodb_lock_wait_timeout = {lock_secs}").into_boxed_str());
    options.map_sqlx_mysql_pool_opts(move |pool| {
        pool.after_connect(move |connection, _| {
            Box::pin(async move {
                sea_orm::sqlx::Executor::execute(&mut *connection, set_lock_wait).await?;
                crate::cluster::wsrep::on_connect(connection).await
            })
        })
    });
    Database::connect(options).await
}

fn sqlite_options(options: SqliteConnectOptions, busy: Duration) -> SqliteConnectOptions {
    options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(busy)
}

/// Begins a transaction that will write.
///
/// On SQLite, which has no row locks (`lock_exclusive()` adds nothing to the
/// query there), it begins `IMMEDIATE`: the database write lock is taken up
/// front, so concurrent writers queue behind each other instead of failing
/// with "database is locked" when a read tries to become a write.
/// PostgreSQL stays at read committed and MySQL/MariaDB at their default;
/// there `SELECT … FOR UPDATE` does the serialising.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let sqlite_transaction_mode = (db.get_database_backend() == DbBackend::Sqlite)
        .then_some(SqliteTransactionMode::Immediate);
    db.begin_with_options(TransactionOptions {
        isolation_level: None::<IsolationLevel>,
        access_mode: None::<AccessMode>,
        sqlite_transaction_mode,
    })
    .await
}

/// Begins a read-only transaction that sees one moment throughout:
/// repeatable read on PostgreSQL and MySQL/MariaDB; on SQLite a deferred
/// transaction, whose first read fixes its snapshot (WAL). What reads a
/// table in many pages (`audit verify`) reads it as of that moment while
/// writers go on.
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let (isolation_level, access_mode) = match db.get_database_backend() {
        DbBackend::Sqlite => (None, None),
        _ => (
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        ),
    };
    db.begin_with_options(TransactionOptions {
        isolation_level,
        access_mode,
        sqlite_transaction_mode: None,
    })
    .await
}

/// The current instant at the precision every backend stores (microseconds),
/// so a value reads back exactly as it was written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Whether the error means the database could not be reached, or did not
/// answer in time (a lock wait that ran out, a full pool), or aborted the
/// transaction (a deadlock victim, a cluster's certification failure), as
/// opposed to a query that is wrong: such errors answer `503`, "try again".
/// What each means is [`crate::cluster::failure`]'s to say.
pub fn is_unavailable(err: &DbErr) -> bool {
    use crate::cluster::Failure;
    matches!(
        crate::cluster::failure::classify(err),
        Failure::Retryable | Failure::Unavailable | Failure::CommitUnknown
    )
}
