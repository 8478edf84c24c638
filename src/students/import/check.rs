//! Checking an uploaded file once and keeping its checked rows: the file
//! is read on a blocking thread (never on the async workers), a batch of
//! rows at a time, and each batch is classified and stored before the next
//! is read, so memory holds the file's bytes and a few batches of rows
//! (at most three of [`BATCH_ROWS`]: one being read, one waiting, one
//! being stored).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::mpsc;

use super::classify;
use super::parse;
use super::parse::problems::Rejected;
use super::parse::row::Row;
use super::store::rows::{self as import_rows, NewRow};
use super::store::{checks, imports};

/// Rows read, classified and stored together.
pub const BATCH_ROWS: usize = 1_000;

/// Why an upload was not kept.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The file cannot be read at all: its problems.
    #[error("the file was refused")]
    Refused(Rejected),
    /// The account has as many imports waiting as it may.
    #[error("too many imports waiting for a confirm")]
    TooMany,
    /// The import stopped being checked meanwhile (failed as interrupted).
    #[error("the check was interrupted")]
    Interrupted,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The checks this instance is running, so that stopping can fail them at
/// once (their page then says to upload again) instead of leaving them
/// "checking" until their lease runs out.
#[derive(Debug, Default)]
pub struct Running {
    ids: Mutex<HashSet<String>>,
}

impl Running {
    fn ids(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Fails every check still running here: the instance is stopping.
    pub async fn interrupt_all(&self, db: &DatabaseConnection) -> Result<u64, DbErr> {
        let ids: Vec<String> = self.ids().drain().collect();
        checks::fail_checks(db, &ids).await
    }
}

/// Reads `file` (any bytes), checks every row and stores the checked rows
/// as an import of `registrar`'s waiting for its confirm; returns its id.
/// (The upload answers before a long check ends: see [`start`].)
pub async fn check_and_store(
    db: &DatabaseConnection,
    registrar: &str,
    filename: &str,
    file: axum::body::Bytes,
) -> Result<String, CheckError> {
    let (id, checking) = start(db, &Arc::default(), registrar, filename, file).await?;
    match checking.await {
        Ok(Ok(())) => Ok(id),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(CheckError::Database(DbErr::Custom(
            "the check of an upload stopped".to_owned(),
        ))),
    }
}

/// The check running in the background; it ends with the import waiting
/// for its confirm, or refused (the import is then deleted).
pub type Checking = tokio::task::JoinHandle<Result<(), CheckError>>;

/// Starts checking `file`: its header is read at once (a file without the
/// columns is refused here), the import is created, and its rows are read,
/// classified and stored in a task of its own, which goes on whether or not
/// anyone waits for it (a client that gives up, a request timeout).
pub async fn start(
    db: &DatabaseConnection,
    running: &Arc<Running>,
    registrar: &str,
    filename: &str,
    file: axum::body::Bytes,
) -> Result<(String, Checking), CheckError> {
    parse::open(&file).map_err(CheckError::Refused)?;
    let id = imports::create(db, registrar, filename)
        .await?
        .ok_or(CheckError::TooMany)?;
    running.ids().insert(id.clone());
    let task = {
        let db = db.clone();
        let id = id.clone();
        let running = Arc::clone(running);
        tokio::spawn(async move {
            let checked = check(&db, &id, file).await;
            running.ids().remove(&id);
            checked
        })
    };
    Ok((id, task))
}

async fn check(
    db: &DatabaseConnection,
    id: &str,
    file: axum::body::Bytes,
) -> Result<(), CheckError> {
    let (send, mut receive) = mpsc::channel::<Result<Vec<Row>, Rejected>>(1);
    let reader = tokio::task::spawn_blocking(move || read_batches(&file, &send));
    let stored = store_batches(db, id, &mut receive).await;
    // The reader ends once the channel is closed, whatever happened here.
    drop(receive);
    let _ = reader.await;
    match stored {
        Ok(0) => {
            // Kept as failed, so that a page reloading while it was
            // checked says why.
            let why = "The file has no students in it.";
            checks::fail_check(db, id, why).await?;
            Err(CheckError::Refused(Rejected::whole_file(why)))
        }
        Ok(rows) => {
            import_rows::mark_duplicates(db, id).await?;
            import_rows::mark_duplicate_numbers(db, id).await?;
            checks::finish_checking(db, id, rows).await?;
            Ok(())
        }
        // Failed as interrupted already: its page says so.
        Err(CheckError::Interrupted) => Err(CheckError::Interrupted),
        Err(err) => {
            if let CheckError::Database(err) = &err {
                tracing::error!(import = %id, error = %err, "checking an upload failed");
            }
            imports::discard(db, id).await?;
            Err(err)
        }
    }
}

/// The blocking side: sends the file's rows a batch at a time (or why the
/// file cannot be read), until done or nobody listens.
fn read_batches(file: &[u8], send: &mpsc::Sender<Result<Vec<Row>, Rejected>>) {
    let rows = match parse::open(file) {
        Ok(rows) => rows,
        Err(rejected) => {
            let _ = send.blocking_send(Err(rejected));
            return;
        }
    };
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    for row in rows {
        batch.push(row);
        if batch.len() == BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if send.blocking_send(Ok(full)).is_err() {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = send.blocking_send(Ok(batch));
    }
}

/// The async side: classifies and stores each batch; returns how many
/// rows there were.
async fn store_batches(
    db: &DatabaseConnection,
    id: &str,
    receive: &mut mpsc::Receiver<Result<Vec<Row>, Rejected>>,
) -> Result<i64, CheckError> {
    let mut seq = 0_i64;
    while let Some(batch) = receive.recv().await {
        let mut batch = batch.map_err(CheckError::Refused)?;
        let outcomes = classify::classify(db, &mut batch).await?;
        let new: Vec<NewRow<'_>> = batch
            .iter()
            .zip(outcomes)
            .map(|(row, outcome)| {
                seq += 1;
                NewRow {
                    seq: seq - 1,
                    row,
                    outcome,
                }
            })
            .collect();
        import_rows::insert_rows(db, id, &new).await?;
        if !checks::renew_check(db, id).await? {
            return Err(CheckError::Interrupted);
        }
    }
    Ok(seq)
}
