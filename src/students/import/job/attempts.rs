//! Running one of the job's transactions: aborts are tried again by the
//! cluster wrapper, a database that is away is waited out a few times, and
//! otherwise the job ends (another instance holds it, or its uploader may
//! no longer write).

use std::time::Duration;

use sea_orm::DbErr;

use crate::cluster::{Failure, HasFailure, retry};
use crate::students::protocol::ProtocolError;
use crate::students::store::numbers;

/// Runs of one batch while the database is away (a node lost, a failover,
/// a lock wait that ran out) before the job is marked failed; the pause
/// grows by [`AWAY_PAUSE`] each time (10 s in all). Aborts are retried by
/// the cluster wrapper inside each run.
const ATTEMPTS: u32 = 5;
const AWAY_PAUSE: Duration = Duration::from_secs(1);

/// How a job ends.
pub(super) enum Finish {
    /// Every row is decided (the modes say so; the job is then marked
    /// done).
    Done,
    TakenOver,
    Failed(String),
}

/// Runs `transaction` (aborts are tried again inside it by the cluster
/// wrapper) and waits out a database that is away, up to [`ATTEMPTS`]
/// runs. `Ok(Err(_))` is how the job ends instead: another instance holds
/// it, or its uploader may no longer write.
pub(super) async fn outlasting<T, F, Fut>(
    id: &str,
    name: &'static str,
    mut transaction: F,
) -> Result<Result<T, Finish>, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, BatchError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match retry::write(name, &mut transaction).await {
            Ok(Some(done)) => return Ok(Ok(done)),
            Ok(None) => return Ok(Err(Finish::TakenOver)),
            Err(BatchError::Refused(refused)) => return Ok(Err(Finish::Failed(why(&refused)))),
            // A student number taken since the batch looked it up: the
            // next run finds its holder and refuses that row only.
            Err(BatchError::Database(err))
                if numbers::is_number_taken(&err) && attempt < ATTEMPTS => {}
            Err(BatchError::Database(err)) if outlasted(&err) && attempt < ATTEMPTS => {
                tracing::warn!(import = %id, error = %err, attempt, "{name}: the database is away; trying again");
                tokio::time::sleep(AWAY_PAUSE * attempt).await;
            }
            Err(BatchError::Database(err)) => return Err(err),
        }
    }
}

fn why(refused: &ProtocolError) -> String {
    match refused {
        ProtocolError::NotAllowed(role) => format!(
            "The account that uploaded the file is now {} and may no longer change records; \
             rows not yet written were not.",
            role.with_article()
        ),
        ProtocolError::NotEnabled => {
            "The account that uploaded the file was disabled; rows not yet written were not."
                .to_owned()
        }
        other => format!("The database failed: {other}"),
    }
}

/// An error a background job waits out (a node lost, a failover) rather
/// than failing on; aborts were already retried by [`retry::write`]. Running
/// a batch again after a cut commit is safe: if it did commit, its lease was
/// renewed with it, so the next run finds the lease moved and stops, and
/// the job is resumed from its recorded results.
fn outlasted(err: &DbErr) -> bool {
    matches!(err.failure(), Failure::Unavailable | Failure::CommitUnknown)
}

impl HasFailure for BatchError {
    fn failure(&self) -> Failure {
        match self {
            BatchError::Database(err) => err.failure(),
            BatchError::Refused(_) => Failure::Other,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum BatchError {
    /// The uploader may no longer change records.
    #[error(transparent)]
    Refused(ProtocolError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<ProtocolError> for BatchError {
    fn from(err: ProtocolError) -> Self {
        match err {
            ProtocolError::NotAllowed(_) | ProtocolError::NotEnabled | ProtocolError::NotFound => {
                BatchError::Refused(err)
            }
            other => BatchError::Database(protocol_db_err(other)),
        }
    }
}

/// The database error under a protocol error (a refusal of the writer
/// cannot happen where this is used: nothing re-checks it there).
pub(super) fn protocol_db_err(err: ProtocolError) -> DbErr {
    match err {
        ProtocolError::Busy(err)
        | ProtocolError::CommitUnknown(err)
        | ProtocolError::Database(err) => err,
        other => DbErr::Custom(other.to_string()),
    }
}
