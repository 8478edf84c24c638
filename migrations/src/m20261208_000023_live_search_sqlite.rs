//! SQLite's search index (`students_search`, FTS5 trigram) holds the live
//! students only, as PostgreSQL's search table does: a deleted student
//! leaves it and an undeleted one comes back. A search's capped total can
//! then be counted in the index alone (up to 10,001 entries of a doclist)
//! when every word has a trigram, instead of reading a row per match to
//! check that it is live: most of a common search's time at 1,000,000
//! students (BENCHMARKS.md, "Search at 1 M").
//!
//! The triggers are replaced by ones that write the index only for live
//! rows: an insert (of a live student), an update that changes the key of
//! a live student or whether it is deleted, a purge of a live student. The
//! entries of the students deleted before this release are taken out.
//! PostgreSQL and MySQL/MariaDB: nothing to do.
//!
//! Upgrades a populated database of the previous release; `down` puts the
//! deleted students' entries back and the triggers as they were.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const DROP_TRIGGERS: &str = "DROP TRIGGER IF EXISTS students_search_insert;
    DROP TRIGGER IF EXISTS students_search_update;
    DROP TRIGGER IF EXISTS students_search_delete;";

/// The index of the live students, and its triggers.
const LIVE: &str = "
    INSERT INTO students_search (students_search, rowid, search_key)
        SELECT 'delete', id, search_key FROM students WHERE deleted_at IS NOT NULL;
    CREATE TRIGGER students_search_insert AFTER INSERT ON students
        WHEN new.deleted_at IS NULL BEGIN
        INSERT INTO students_search (rowid, search_key) VALUES (new.id, new.search_key);
    END;
    CREATE TRIGGER students_search_update AFTER UPDATE OF search_key, deleted_at ON students
        WHEN old.search_key IS NOT new.search_key
            OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) BEGIN
        INSERT INTO students_search (students_search, rowid, search_key)
            SELECT 'delete', old.id, old.search_key WHERE old.deleted_at IS NULL;
        INSERT INTO students_search (rowid, search_key)
            SELECT new.id, new.search_key WHERE new.deleted_at IS NULL;
    END;
    CREATE TRIGGER students_search_delete AFTER DELETE ON students
        WHEN old.deleted_at IS NULL BEGIN
        INSERT INTO students_search (students_search, rowid, search_key)
            VALUES ('delete', old.id, old.search_key);
    END;";

/// The index of every student, and its triggers, as the previous release
/// had them.
const EVERY: &str = "
    INSERT INTO students_search (rowid, search_key)
        SELECT id, search_key FROM students WHERE deleted_at IS NOT NULL;
    CREATE TRIGGER students_search_insert AFTER INSERT ON students BEGIN
        INSERT INTO students_search (rowid, search_key) VALUES (new.id, new.search_key);
    END;
    CREATE TRIGGER students_search_update AFTER UPDATE OF search_key ON students
        WHEN old.search_key IS NOT new.search_key BEGIN
        INSERT INTO students_search (students_search, rowid, search_key)
            VALUES ('delete', old.id, old.search_key);
        INSERT INTO students_search (rowid, search_key) VALUES (new.id, new.search_key);
    END;
    CREATE TRIGGER students_search_delete AFTER DELETE ON students BEGIN
        INSERT INTO students_search (students_search, rowid, search_key)
            VALUES ('delete', old.id, old.search_key);
    END;";

/// Runs `DROP_TRIGGERS` and then `body` in one call, so on one connection:
/// the pool's others may still hold the schema from before the drop.
async fn replace(manager: &SchemaManager<'_>, body: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!("{DROP_TRIGGERS}{body}"))
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, LIVE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, EVERY).await
    }
}
