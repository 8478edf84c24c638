//! MariaDB's search index (contract §12, §16): `student_trigrams`, the
//! postings of every trigram (three consecutive characters) of each live
//! student's search key, one row per distinct trigram and student,
//! `(gram, student_id)` its primary key. Trigrams holding a space or a line
//! break are left out: a search's words have neither, and they are a
//! quarter of a key's. A search finds its candidates by
//! intersecting the postings of its words' trigrams, starting from the
//! rarest (`students::list::search`); every word is still checked on the
//! row, so the index only has to hold at least the right students.
//!
//! MariaDB has no trigram index of its own: before this, a rare or absent
//! term scanned the name index of every live student (1.9 s at 1 M).
//!
//! Triggers on `students` keep the table in step in the writing statement's
//! own transaction, whichever path writes (the form, the API, imports,
//! `demo::fill`): a student created live gains its trigrams, a deletion
//! drops them, a restore gives them back, and an update touches them only
//! when the search key or the deletion changed (an import that changes
//! GPAs alone costs nothing more). Each trigger body is one set-based
//! statement over `student_trigram_places` (the numbers 1 to 398; the
//! places are characters, `SUBSTRING(key, i, 3)`, not bytes): an
//! `INSERT IGNORE … SELECT` posts a key's trigrams, a `DELETE` joined on
//! the primary key takes them out. No stored procedure and no loop: on
//! Galera a transaction aborted by a replicated write while it ran a
//! procedure inside a trigger held its locks until the lock wait timeout,
//! and the hot-row test (`cluster::galera_three_writers…`) answered 54 %
//! of its saves `503`; with single statements it answers none.
//!
//! Upgrades a populated database of the previous release: the triggers are
//! made first, then the table is filled from the live students, 1,000 ids
//! at a time, each range with a locking read (`INSERT … SELECT` under
//! REPEATABLE READ), so a write of an instance of the previous release
//! either waits for its range's statement (a second or two) or is seen by
//! a trigger; a trigram posted twice is ignored. At 1,000,000 students the
//! fill takes about half an hour on this machine's server (BENCHMARKS.md):
//! the new instance starts serving after it, the old ones serve meanwhile.
//! SQLite and PostgreSQL have their own trigram indexes: nothing to do
//! there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The trigram of key `k` at place `i` holds no space or line break: it is
/// one a search can ask for (its words have neither), so it is posted.
fn searchable(k: &str, i: &str) -> String {
    format!(
        "LOCATE(' ', SUBSTRING({k}, {i}, 3)) = 0 AND LOCATE(CHAR(10), SUBSTRING({k}, {i}, 3)) = 0"
    )
}

/// Posts the trigrams of the row `row` (`NEW`): one statement, each
/// trigram once (a key may repeat one).
fn post(row: &str) -> String {
    format!(
        "INSERT IGNORE INTO student_trigrams (gram, student_id)
            SELECT SUBSTRING({row}.search_key, p.i, 3), {row}.id
            FROM student_trigram_places p
            WHERE p.i <= CHAR_LENGTH({row}.search_key) - 2 AND {}",
        searchable(&format!("{row}.search_key"), "p.i")
    )
}

/// Deletes the postings of the row `row` (`OLD`): one statement, each
/// posting found by its primary key from a place of the key.
fn unpost(row: &str) -> String {
    format!(
        "DELETE t FROM student_trigram_places p
            JOIN student_trigrams t
                ON t.gram = SUBSTRING({row}.search_key, p.i, 3) AND t.student_id = {row}.id
            WHERE p.i <= CHAR_LENGTH({row}.search_key) - 2"
    )
}

fn mysql_up() -> Vec<String> {
    vec![
        "CREATE TABLE student_trigrams (
            gram VARCHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            student_id BIGINT NOT NULL,
            PRIMARY KEY (gram, student_id)
        ) ENGINE = InnoDB"
            .to_owned(),
        // The places a trigram can start at in a key of at most 400
        // characters: the triggers post a key's trigrams in one statement.
        "CREATE TABLE student_trigram_places (i SMALLINT NOT NULL PRIMARY KEY) ENGINE = InnoDB"
            .to_owned(),
        "INSERT INTO student_trigram_places (i)
            SELECT i FROM (
                WITH RECURSIVE places (i) AS (
                    SELECT 1 UNION ALL SELECT i + 1 FROM places WHERE i < 398
                )
                SELECT i FROM places
            ) n"
        .to_owned(),
        format!(
            "CREATE TRIGGER student_trigrams_insert AFTER INSERT ON students FOR EACH ROW
            BEGIN
                IF NEW.deleted_at IS NULL THEN
                    {};
                END IF;
            END",
            post("NEW")
        ),
        // The keys compared as bytes: `utf8mb4_bin` pads with spaces.
        format!(
            "CREATE TRIGGER student_trigrams_update AFTER UPDATE ON students FOR EACH ROW
            BEGIN
                IF NOT (CAST(OLD.search_key AS BINARY) <=> CAST(NEW.search_key AS BINARY))
                    OR NOT (OLD.deleted_at <=> NEW.deleted_at) THEN
                    IF OLD.deleted_at IS NULL THEN
                        {};
                    END IF;
                    IF NEW.deleted_at IS NULL THEN
                        {};
                    END IF;
                END IF;
            END",
            unpost("OLD"),
            post("NEW")
        ),
        format!(
            "CREATE TRIGGER student_trigrams_delete AFTER DELETE ON students FOR EACH ROW
            BEGIN
                IF OLD.deleted_at IS NULL THEN
                    {};
                END IF;
            END",
            unpost("OLD")
        ),
    ]
}

/// Students a statement of the fill posts: each holds its students' rows
/// (a locking read) for a second or two at most, so a write of an instance
/// of the previous release waits that long at most, not for the whole fill
/// (about half an hour at 1,000,000 students on this machine's server).
const FILL_BATCH: i64 = 1_000;

/// Posts the trigrams of the live students with ids in `(after, upto]`.
fn fill(after: i64, upto: i64) -> String {
    format!(
        "INSERT IGNORE INTO student_trigrams (gram, student_id)
            SELECT SUBSTRING(s.search_key, p.i, 3), s.id
            FROM students s
            JOIN student_trigram_places p ON p.i <= CHAR_LENGTH(s.search_key) - 2
            WHERE s.id > {after} AND s.id <= {upto} AND s.deleted_at IS NULL AND {}",
        searchable("s.search_key", "p.i")
    )
}

const MYSQL_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS student_trigrams_insert",
    "DROP TRIGGER IF EXISTS student_trigrams_update",
    "DROP TRIGGER IF EXISTS student_trigrams_delete",
    "DROP TABLE IF EXISTS student_trigrams",
    "DROP TABLE IF EXISTS student_trigram_places",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in mysql_up() {
            db.execute_unprepared(&statement).await?;
        }
        // The triggers are there: every student written from now on is
        // posted by them; the fill posts the others, a range of ids at a
        // time (up to the highest id now: later ones are the triggers').
        let highest: i64 = db
            .query_one_raw(Statement::from_string(
                DbBackend::MySql,
                "SELECT COALESCE(MAX(id), 0) FROM students",
            ))
            .await?
            .map(|row| row.try_get_by_index(0))
            .transpose()?
            .unwrap_or(0);
        let mut after = 0;
        while after < highest {
            // The id FILL_BATCH students on (ids may have gaps).
            let upto: Option<i64> = db
                .query_one_raw(Statement::from_string(
                    DbBackend::MySql,
                    format!(
                        "SELECT id FROM students WHERE id > {after} ORDER BY id \
                         LIMIT 1 OFFSET {}",
                        FILL_BATCH - 1
                    ),
                ))
                .await?
                .map(|row| row.try_get_by_index(0))
                .transpose()?;
            let upto = upto.map_or(highest, |id| std::cmp::min(id, highest));
            db.execute_unprepared(&fill(after, upto)).await?;
            after = upto;
        }
        db.execute_unprepared("ANALYZE TABLE student_trigrams")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        for statement in MYSQL_DOWN {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }
}
