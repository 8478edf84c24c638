//! The change feed (contract §13, `GET /api/v1/changes`): every committed
//! revision exactly once, in each record's version order, to a reader that
//! always asks from the `next` it was given, even when transactions commit
//! in another order than the one in which they took their ids.
//!
//! A revision's id is no commit order (a revision given id 10 can commit
//! after id 11 was read), so the feed is not read by id: one instance at a
//! time, holding a lease, stamps committed revisions with dense positions
//! after their commit, and the feed serves stamped revisions only.
//!
//! - [`sequencer`]: the leased background task that stamps, and why that
//!   skips nothing and keeps each record's order;
//! - [`head`]: the feed's one row (epoch, baseline, last position, lease);
//! - [`store`]: the statements on `revisions` (unstamped, stamp, pages);
//! - [`cursor`]: a reader's place, naming the epoch and the revision;
//! - [`read`]: a page after a cursor, or why the cursor is gone;
//! - [`tip`]: the highest stamped position this instance knows, which
//!   long-polling readers wait on without a database connection;
//! - [`running`]: the sequencer and the tip's follower, started and
//!   stopped with the instance.

pub mod cursor;
pub mod head;
pub mod read;
pub mod running;
pub mod sequencer;
pub mod store;
pub mod tip;

pub use cursor::{Cursor, Malformed};
pub use read::{Change, Gone, Page, ReadError, read};
pub use running::Running;
pub use sequencer::Sequencer;
pub use tip::Tip;
