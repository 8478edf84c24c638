//! Reading a page of the feed after a reader's cursor.

use sea_orm::{ConnectionTrait, DbErr};

use super::{Cursor, head, store};
use crate::students::store::Revision;

/// One change as the feed lists it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The place just after it: what a reader sends to go on from it.
    pub cursor: Cursor,
    pub revision: Revision,
}

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct Page {
    /// Oldest first.
    pub changes: Vec<Change>,
    /// Where to ask from next: after the last change, or the cursor asked
    /// from when there is nothing new.
    pub next: Cursor,
}

/// Why a page cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The cursor does not belong to the feed as the database holds it.
    #[error("the cursor is gone: {0}")]
    Gone(Gone),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// How a cursor no longer fits the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Gone {
    /// It is another feed's (another database, or the epoch was renewed).
    #[error("it belongs to another epoch of the feed")]
    OtherEpoch,
    /// Its position is missing, or holds another revision than the one it
    /// names: the database was restored from a backup taken before it.
    #[error("its position no longer holds the change it names")]
    Moved,
}

/// Up to `limit` changes after `after` (from the start without one).
pub async fn read(
    db: &impl ConnectionTrait,
    after: Option<&Cursor>,
    limit: u64,
) -> Result<Page, ReadError> {
    let head = head::read(db).await?;
    let from = match after {
        None => Cursor::start(&head.epoch),
        Some(cursor) if !cursor.is_of(&head.epoch) => {
            return Err(ReadError::Gone(Gone::OtherEpoch));
        }
        Some(cursor) if cursor.position() == 0 => cursor.clone(),
        Some(cursor) => match store::at(db, cursor.position(), head.baseline).await? {
            Some(revision) if cursor.names(&revision.hash) => cursor.clone(),
            _ => return Err(ReadError::Gone(Gone::Moved)),
        },
    };
    let changes: Vec<Change> = store::after(db, from.position(), head.baseline, limit)
        .await?
        .into_iter()
        .map(|(position, revision)| Change {
            cursor: Cursor::at(&head.epoch, position, &revision.hash),
            revision,
        })
        .collect();
    let next = changes.last().map_or(from, |change| change.cursor.clone());
    Ok(Page { changes, next })
}
