//! The search index out of `students` (PostgreSQL), and out of the way of
//! updates that keep a student's search key (SQLite).
//!
//! PostgreSQL writes an update as a new row version, and when an indexed
//! column changes (a GPA, the time of the change) every index of the table
//! gains an entry for it, the `pg_trgm` GIN over the search key among them,
//! one entry per trigram of the key: a third of the database's work in a
//! confirm that changes 100,000 GPAs (BENCHMARKS.md). The search key moves
//! to a table of its own, `students_search` (a live student's id and key,
//! the GIN over it), kept in step with `students` by triggers that touch it
//! only when a key changes or a student is created, deleted or restored. A
//! search finds its ids there; its total is counted there alone (the table
//! holds live students only).
//!
//! SQLite's FTS5 index (`students_search` too) was rewritten by every
//! update that named the search key, changed or not: its trigger now fires
//! only when the key changes. MariaDB has no trigram index: nothing to do.
//!
//! Upgrades a populated database of the previous release: the table is
//! filled from the live students before the old index is dropped.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: the table, filled, its GIN (where `pg_trgm` is there) and
/// the triggers. Inserts and deletes are kept by one statement-level
/// trigger each (a demo fill inserts a thousand students a statement);
/// updates by a row trigger that runs only where the key or the deletion
/// changed.
///
/// The migration is one transaction. Its first statement holds back every
/// write to `students` (reads go on) until it commits, so no change an
/// instance of the previous release commits meanwhile is missed by the
/// fill; the old index is dropped last, as that locks out reads too.
const POSTGRES_UP: &[&str] = &[
    "LOCK TABLE students IN SHARE ROW EXCLUSIVE MODE",
    "CREATE TABLE students_search (
        id bigint PRIMARY KEY,
        search_key varchar(400) NOT NULL
    )",
    "INSERT INTO students_search (id, search_key)
        SELECT id, search_key FROM students WHERE deleted_at IS NULL",
    "DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            CREATE INDEX students_search_key_trgm ON students_search
                USING gin (search_key gin_trgm_ops);
        END IF;
    END $$",
    "CREATE FUNCTION students_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO students_search (id, search_key)
            SELECT id, search_key FROM added WHERE deleted_at IS NULL;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER students_search_insert AFTER INSERT ON students
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION students_search_added()",
    "CREATE FUNCTION students_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO students_search (id, search_key) VALUES (NEW.id, NEW.search_key)
                ON CONFLICT (id) DO UPDATE SET search_key = EXCLUDED.search_key;
        ELSE
            DELETE FROM students_search WHERE id = NEW.id;
        END IF;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER students_search_update AFTER UPDATE OF search_key, deleted_at ON students
        FOR EACH ROW
        WHEN (OLD.search_key IS DISTINCT FROM NEW.search_key
            OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
        EXECUTE FUNCTION students_search_changed()",
    "CREATE FUNCTION students_search_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM students_search WHERE id IN (SELECT id FROM removed);
        RETURN NULL;
    END $$",
    "CREATE TRIGGER students_search_delete AFTER DELETE ON students
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION students_search_removed()",
    "DROP INDEX IF EXISTS students_search_trgm",
    "ANALYZE students_search",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TABLE students_search",
    "DROP FUNCTION students_search_added, students_search_changed, students_search_removed \
        CASCADE",
    "DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            CREATE INDEX students_search_trgm ON students
                USING gin (search_key gin_trgm_ops) WHERE deleted_at IS NULL;
        END IF;
    END $$",
];

/// SQLite's update trigger, as it was and as it is now.
const SQLITE_UPDATE_TRIGGER: &str = "CREATE TRIGGER students_search_update
    AFTER UPDATE OF search_key ON students";
const SQLITE_UPDATE_BODY: &str = " BEGIN
        INSERT INTO students_search (students_search, rowid, search_key)
            VALUES ('delete', old.id, old.search_key);
        INSERT INTO students_search (rowid, search_key) VALUES (new.id, new.search_key);
    END";

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}

/// Replaces SQLite's update trigger with one that fires `when`. The two
/// statements go in one call, so on one connection: the pool's others may
/// still hold the schema from before the drop.
async fn sqlite_update_trigger(manager: &SchemaManager<'_>, when: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "DROP TRIGGER IF EXISTS students_search_update; \
             {SQLITE_UPDATE_TRIGGER}{when}{SQLITE_UPDATE_BODY}"
        ))
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_UP).await,
            DbBackend::Sqlite => {
                let when = " WHEN old.search_key IS NOT new.search_key";
                sqlite_update_trigger(manager, when).await
            }
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            DbBackend::Sqlite => sqlite_update_trigger(manager, "").await,
            _ => Ok(()),
        }
    }
}
