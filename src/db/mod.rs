//! Connecting to the database and opening transactions that hold what they
//! promise on every backend.

pub mod entities;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How long a writer waits for SQLite's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects with settings that suit the backend the URL names.
///
/// SQLite gets WAL (readers never wait for the writer), an explicit pool
/// (SeaORM would otherwise use a single connection) and a busy timeout, and
/// the file is created if missing.
pub async fn connect(url: &str, pool_size: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool_size)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(sqlite_options);
    Database::connect(options).await
}

fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
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

/// The current instant at the precision every backend stores (microseconds),
/// so a value reads back exactly as it was written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Whether the error means the database could not be reached, or did not
/// answer in time (a lock wait that ran out, a full pool), as opposed to a
/// query that is wrong: such errors answer `503`, "try again".
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    use sea_orm::sqlx::mysql::MySqlDatabaseError;

    let runtime = match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::Protocol(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(db) => {
            if let Some(mysql) = db.try_downcast_ref::<MySqlDatabaseError>() {
                // Lock wait timeout, deadlock victim, too many connections.
                return matches!(mysql.number(), 1205 | 1213 | 1040);
            }
            matches!(
                db.code().as_deref(),
                // PostgreSQL: lock_timeout, statement timeout, shutting down,
                // cannot connect now, too many connections.
                Some("55P03" | "57014" | "57P01" | "57P02" | "57P03" | "53300")
                // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
                | Some("5" | "6" | "261" | "262" | "517")
            )
        }
        _ => false,
    }
}
