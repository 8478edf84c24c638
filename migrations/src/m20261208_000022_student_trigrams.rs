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
//! GPAs alone costs nothing more). Two procedures walk a key's trigrams
//! (`SUBSTRING(key, i, 3)`, characters, not bytes): one posts them in one
//! statement, over `student_trigram_places` (the numbers 1 to 398), the
//! other deletes each at its first place in the key, by primary key.
//!
//! Upgrades a populated database of the previous release: the triggers are
//! made first, then the table is filled from the live students with a
//! locking read (`INSERT … SELECT` under REPEATABLE READ), so a write of an
//! instance of the previous release either waits for the fill or is seen
//! by a trigger; a trigram posted twice is ignored. SQLite and PostgreSQL
//! have their own trigram indexes: nothing to do there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The trigram of key `k` at place `i` holds no space or line break: it is
/// one a search can ask for (its words have neither), so it is posted.
fn searchable(k: &str, i: &str) -> String {
    format!(
        "LOCATE(' ', SUBSTRING({k}, {i}, 3)) = 0 AND LOCATE(CHAR(10), SUBSTRING({k}, {i}, 3)) = 0"
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
        // Each trigram once (a key may repeat one).
        format!(
            "CREATE PROCEDURE student_trigrams_add(
                IN p_id BIGINT,
                IN p_key VARCHAR(400) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
            )
            BEGIN
                INSERT IGNORE INTO student_trigrams (gram, student_id)
                    SELECT SUBSTRING(p_key, p.i, 3), p_id
                    FROM student_trigram_places p
                    WHERE p.i <= CHAR_LENGTH(p_key) - 2 AND {};
            END",
            searchable("p_key", "p.i")
        ),
        // A trigram at its first place only, so each row is deleted once
        // and by its primary key.
        format!(
            "CREATE PROCEDURE student_trigrams_remove(
                IN p_id BIGINT,
                IN p_key VARCHAR(400) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
            )
            BEGIN
                DECLARE i INT DEFAULT 1;
                DECLARE g VARCHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
                WHILE i <= CHAR_LENGTH(p_key) - 2 DO
                    SET g = SUBSTRING(p_key, i, 3);
                    IF LOCATE(g, p_key) = i AND {} THEN
                        DELETE FROM student_trigrams WHERE gram = g AND student_id = p_id;
                    END IF;
                    SET i = i + 1;
                END WHILE;
            END",
            searchable("p_key", "i")
        ),
        "CREATE TRIGGER student_trigrams_insert AFTER INSERT ON students FOR EACH ROW
        BEGIN
            IF NEW.deleted_at IS NULL THEN
                CALL student_trigrams_add(NEW.id, NEW.search_key);
            END IF;
        END"
        .to_owned(),
        // The keys compared as bytes: `utf8mb4_bin` pads with spaces.
        "CREATE TRIGGER student_trigrams_update AFTER UPDATE ON students FOR EACH ROW
        BEGIN
            IF NOT (CAST(OLD.search_key AS BINARY) <=> CAST(NEW.search_key AS BINARY))
                OR NOT (OLD.deleted_at <=> NEW.deleted_at) THEN
                IF OLD.deleted_at IS NULL THEN
                    CALL student_trigrams_remove(OLD.id, OLD.search_key);
                END IF;
                IF NEW.deleted_at IS NULL THEN
                    CALL student_trigrams_add(NEW.id, NEW.search_key);
                END IF;
            END IF;
        END"
        .to_owned(),
        "CREATE TRIGGER student_trigrams_delete AFTER DELETE ON students FOR EACH ROW
        BEGIN
            IF OLD.deleted_at IS NULL THEN
                CALL student_trigrams_remove(OLD.id, OLD.search_key);
            END IF;
        END"
        .to_owned(),
        format!(
            "INSERT IGNORE INTO student_trigrams (gram, student_id)
                SELECT SUBSTRING(s.search_key, p.i, 3), s.id
                FROM students s
                JOIN student_trigram_places p ON p.i <= CHAR_LENGTH(s.search_key) - 2
                WHERE s.deleted_at IS NULL AND {}",
            searchable("s.search_key", "p.i")
        ),
        "ANALYZE TABLE student_trigrams".to_owned(),
    ]
}

const MYSQL_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS student_trigrams_insert",
    "DROP TRIGGER IF EXISTS student_trigrams_update",
    "DROP TRIGGER IF EXISTS student_trigrams_delete",
    "DROP PROCEDURE IF EXISTS student_trigrams_add",
    "DROP PROCEDURE IF EXISTS student_trigrams_remove",
    "DROP TABLE IF EXISTS student_trigrams",
    "DROP TABLE IF EXISTS student_trigram_places",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        for statement in mysql_up() {
            manager
                .get_connection()
                .execute_unprepared(&statement)
                .await?;
        }
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
