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
//! The app's write core keeps the postings from then on, in each change's
//! own transaction (`students::store::postings`: every path that writes a
//! student goes through it). Triggers kept them at first, and failed on
//! Galera: see that module.
//!
//! Upgrades a populated database of the previous release: the table is
//! filled from the live students, 1,000 ids a statement, in SQL
//! (`SUBSTRING(key, i, 3)` over the places 1 to 398: characters, as
//! [`fold::trigrams`] takes them; the upgrade test compares the two).
//! `registrar migrate` runs before the instances start, as for every
//! migration. At 1,000,000 students the fill takes about half an hour on
//! this machine's server (BENCHMARKS.md). SQLite and PostgreSQL have their
//! own trigram indexes: nothing to do there.

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

const CREATE: &str = "CREATE TABLE student_trigrams (
    gram VARCHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    student_id BIGINT NOT NULL,
    PRIMARY KEY (gram, student_id)
) ENGINE = InnoDB";

/// Students a statement of the fill posts: each statement a second or two,
/// so no transaction grows with the table.
const FILL_BATCH: i64 = 1_000;

/// Posts the trigrams of the live students with ids in `(after, upto]`:
/// each place `i` of a key, 1 to 398 (a key has at most 400 characters).
fn fill(after: i64, upto: i64) -> String {
    format!(
        "INSERT IGNORE INTO student_trigrams (gram, student_id)
            SELECT SUBSTRING(s.search_key, p.i, 3), s.id
            FROM students s
            JOIN (
                WITH RECURSIVE places (i) AS (
                    SELECT 1 UNION ALL SELECT i + 1 FROM places WHERE i < 398
                )
                SELECT i FROM places
            ) p ON p.i <= CHAR_LENGTH(s.search_key) - 2
            WHERE s.id > {after} AND s.id <= {upto} AND s.deleted_at IS NULL AND {}",
        searchable("s.search_key", "p.i")
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(CREATE).await?;
        // A range of ids at a time, up to the highest id now.
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
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS student_trigrams")
            .await?;
        Ok(())
    }
}
