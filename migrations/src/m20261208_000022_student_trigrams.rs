//! MariaDB's search index (contract §12, §16): `student_trigrams`, the
//! postings of every trigram (three consecutive characters) of each live
//! student's search key, one row per distinct trigram and student,
//! `(gram, student_id)` its primary key. A search finds its candidates by
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
//! (`SUBSTRING(key, i, 3)`, characters, not bytes), each trigram once: at
//! its first place in the key.
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

/// Walks the trigrams of `k` and does `action` (`g` the trigram, `id` the
/// student's) for each at its first place in the key.
fn each_trigram(procedure: &str, action: &str) -> String {
    format!(
        "CREATE PROCEDURE {procedure}(
            IN id BIGINT,
            IN k VARCHAR(400) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
        )
        BEGIN
            DECLARE i INT DEFAULT 1;
            DECLARE g VARCHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
            WHILE i <= CHAR_LENGTH(k) - 2 DO
                SET g = SUBSTRING(k, i, 3);
                IF LOCATE(g, k) = i THEN
                    {action};
                END IF;
                SET i = i + 1;
            END WHILE;
        END"
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
        each_trigram(
            "student_trigrams_add",
            "INSERT INTO student_trigrams (gram, student_id) VALUES (g, id)",
        ),
        each_trigram(
            "student_trigrams_remove",
            "DELETE FROM student_trigrams WHERE gram = g AND student_id = id",
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
        // Every place of every live key (a key has at most 400 characters).
        "INSERT IGNORE INTO student_trigrams (gram, student_id)
            SELECT SUBSTRING(s.search_key, n.i, 3), s.id
            FROM students s
            JOIN (
                WITH RECURSIVE places (i) AS (
                    SELECT 1 UNION ALL SELECT i + 1 FROM places WHERE i < 398
                )
                SELECT i FROM places
            ) n ON n.i <= CHAR_LENGTH(s.search_key) - 2
            WHERE s.deleted_at IS NULL"
            .to_owned(),
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
