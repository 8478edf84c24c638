//! Index names the application names too: on MariaDB the list's queries
//! hold the optimizer to these (`FORCE INDEX`), so they are written once,
//! here, for both.

/// Live students by the search key (the lower-cased name first).
pub const STUDENTS_LIVE_NAME: &str = "students_live_name_idx";
/// Live students by GPA.
pub const STUDENTS_LIVE_GPA: &str = "students_live_gpa_idx";
/// Live students by the time of their last change.
pub const STUDENTS_LIVE_UPDATED: &str = "students_live_updated_idx";

/// MariaDB's search index: the postings `(gram, student_id)` of every
/// trigram of each live student's search key (migration 22).
pub const STUDENT_TRIGRAMS: &str = "student_trigrams";

/// The office's change log: the revisions no import wrote, by `(at, id)`.
/// On MySQL/MariaDB `import_id` leads it, and it also serves an import's
/// own rows.
pub const REVISIONS_LOG: &str = "revisions_log_idx";
/// The log's revisions by one registrar (`by=`), by `(at, id)`.
pub const REVISIONS_LOG_REGISTRAR: &str = "revisions_log_registrar_idx";
/// The log's revisions of one action (`action=`), by `(at, id)`.
pub const REVISIONS_LOG_ACTION: &str = "revisions_log_action_idx";
/// An import's own revisions, by `(at, id)` (PostgreSQL and SQLite).
pub const REVISIONS_IMPORT: &str = "revisions_import_idx";
/// Imports in the log, by `(at, first_revision)`.
pub const IMPORT_ENTRIES_LOG: &str = "import_entries_log_idx";
/// Imports in the log by one registrar.
pub const IMPORT_ENTRIES_REGISTRAR: &str = "import_entries_registrar_idx";

/// The access log by `(at, id)`: the whole log, and the sweeper's range.
pub const ACCESS_LOG_AT: &str = "access_log_at_idx";
/// One student's entries in the access log, by `(at, id)`.
pub const ACCESS_LOG_STUDENT: &str = "access_log_student_idx";
/// One account's entries in the access log, by `(at, id)`.
pub const ACCESS_LOG_ACCOUNT: &str = "access_log_account_idx";

/// The change feed's stamped revisions by `feed_position` (unique on
/// PostgreSQL and SQLite; on MySQL/MariaDB `(feed_position, id)`, whose
/// `NULL` entries are the unstamped revisions by id).
pub const REVISIONS_FEED: &str = "revisions_feed_idx";
/// The revisions the feed's sequencer has not stamped yet, by id
/// (PostgreSQL and SQLite).
pub const REVISIONS_UNSTAMPED: &str = "revisions_unstamped_idx";

/// One idempotency key per account (contract §13): the unique index that
/// makes a second claim of the same key wait or fail.
pub const IDEMPOTENCY_KEY: &str = "idempotency_keys_account_key_idx";

/// Idempotency keys by age, for the sweep that forgets them after a day.
pub const IDEMPOTENCY_CREATED: &str = "idempotency_keys_created_idx";
