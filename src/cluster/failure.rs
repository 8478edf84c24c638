//! What a database error means for the write that got it: try the whole
//! transaction again, answer "busy, try again", admit that the outcome is
//! unknown, or none of these (a bug, answered `500`).
//!
//! Codes are matched, never message texts (docs/contract.md §10; the
//! observed codes are in the README's scale-out section).

use sea_orm::sqlx::Error as SqlxError;
use sea_orm::sqlx::mysql::MySqlDatabaseError;
use sea_orm::{DbErr, RuntimeErr};

/// The meaning of a failed statement or commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The database aborted the transaction and nothing of it committed:
    /// a Galera certification failure or brute-force abort (MySQL error
    /// 1213, SQLSTATE `40001`), a PostgreSQL serialization failure
    /// (`40001`) or deadlock (`40P01`). The whole transaction may run again.
    Retryable,
    /// No database answered, or not in time: connection refused, closed or
    /// reset, a node outside the primary component (1047, 1180), a server
    /// shutting down or starting (57P01, 57P03), a standby (25006), a lock
    /// wait or pool wait that ran out. Nothing was committed.
    Unavailable,
    /// The connection was lost while `COMMIT` was on its way: it may have
    /// committed or not. Only [`classify_commit`] says this.
    CommitUnknown,
    /// Anything else: a wrong query, a broken constraint.
    Other,
}

/// What `err` from any statement of a transaction (not its commit) means.
pub fn classify(err: &DbErr) -> Failure {
    let runtime = match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return Failure::Unavailable,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return Failure::Other,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return Failure::Other;
    };
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::Protocol(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => Failure::Unavailable,
        SqlxError::Database(db) => {
            if let Some(mysql) = db.try_downcast_ref::<MySqlDatabaseError>() {
                return mysql_failure(mysql.number());
            }
            sqlstate_failure(db.code().as_deref().unwrap_or(""))
        }
        _ => Failure::Other,
    }
}

/// What `err` from `COMMIT` means: an abort is still an abort (nothing
/// committed), but a lost connection leaves the outcome unknown.
pub fn classify_commit(err: &DbErr) -> Failure {
    match classify(err) {
        Failure::Unavailable if !is_refused_before_sending(err) => Failure::CommitUnknown,
        failure => failure,
    }
}

/// The commit never reached the server: no connection could be had.
fn is_refused_before_sending(err: &DbErr) -> bool {
    matches!(err, DbErr::ConnectionAcquire(_))
}

fn mysql_failure(number: u16) -> Failure {
    match number {
        // Deadlock victim / Galera certification failure or brute-force abort.
        1213 => Failure::Retryable,
        // Lock wait timeout, too many connections, WSREP not ready, not in
        // the primary component, connection killed, gone away, lost.
        1205 | 1040 | 1047 | 1180 | 1927 | 2006 | 2013 => Failure::Unavailable,
        _ => Failure::Other,
    }
}

fn sqlstate_failure(code: &str) -> Failure {
    match code {
        // Serialization failure, deadlock detected.
        "40001" | "40P01" => Failure::Retryable,
        // PostgreSQL: lock_timeout, statement timeout, shutting down,
        // crash shutdown, cannot connect now, too many connections, a
        // read-only transaction (a standby, or a primary being promoted),
        // connection exceptions.
        "55P03" | "57014" | "57P01" | "57P02" | "57P03" | "53300" | "25006" | "08000" | "08003"
        | "08006" => Failure::Unavailable,
        // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
        "5" | "6" | "261" | "262" | "517" => Failure::Unavailable,
        _ => Failure::Other,
    }
}

/// Errors that may carry a database error, so that [`super::retry`] can
/// tell a transaction worth running again from one that is not.
pub trait HasFailure {
    fn failure(&self) -> Failure;
}

impl HasFailure for DbErr {
    fn failure(&self) -> Failure {
        classify(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_by_number_and_sqlstate() {
        assert_eq!(mysql_failure(1213), Failure::Retryable);
        for unavailable in [1047, 1180, 2006, 2013, 1205] {
            assert_eq!(mysql_failure(unavailable), Failure::Unavailable);
        }
        assert_eq!(mysql_failure(1062), Failure::Other);
        assert_eq!(sqlstate_failure("40001"), Failure::Retryable);
        assert_eq!(sqlstate_failure("40P01"), Failure::Retryable);
        for unavailable in ["57P01", "57P03", "25006", "08006"] {
            assert_eq!(sqlstate_failure(unavailable), Failure::Unavailable);
        }
        assert_eq!(sqlstate_failure("23505"), Failure::Other);
    }

    #[test]
    fn a_lost_connection_at_commit_leaves_the_outcome_unknown() {
        let lost = DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(SqlxError::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        ))));
        assert_eq!(classify(&lost), Failure::Unavailable);
        assert_eq!(classify_commit(&lost), Failure::CommitUnknown);
        let no_connection = DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        assert_eq!(classify_commit(&no_connection), Failure::Unavailable);
    }
}
