//! What a million students need: an index for substring search,
//! an exact live-student count kept by every create and delete, an index
//! for a registrar's own changes, and the table behind CSV import previews.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{instant, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StudentCount {
    Table,
    Id,
    Live,
}

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    Registrar,
    Filename,
    Csv,
    Rows,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();

        // Substring search on the lower-cased search key.
        match backend {
            DbBackend::Postgres => {
                // pg_trgm is a trusted extension (a database owner may create
                // it); without it the search still works, by scanning.
                db.execute_unprepared(
                    "DO $$ BEGIN
                        CREATE EXTENSION IF NOT EXISTS pg_trgm;
                    EXCEPTION WHEN OTHERS THEN
                        RAISE NOTICE 'pg_trgm is not available: search will scan';
                    END $$;",
                )
                .await?;
                db.execute_unprepared(
                    "DO $$ BEGIN
                        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                            CREATE INDEX students_search_trgm ON students
                                USING gin (search_key gin_trgm_ops) WHERE deleted_at IS NULL;
                        END IF;
                    END $$;",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                // An FTS5 trigram index kept in step with `students` by
                // triggers; it answers LIKE '%…%' for three characters or more.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE students_search USING fts5(
                        search_key, tokenize = 'trigram', content = 'students', content_rowid = 'id'
                    )",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER students_search_insert AFTER INSERT ON students BEGIN
                        INSERT INTO students_search (rowid, search_key) VALUES (new.id, new.search_key);
                    END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER students_search_update AFTER UPDATE OF search_key ON students BEGIN
                        INSERT INTO students_search (students_search, rowid, search_key)
                            VALUES ('delete', old.id, old.search_key);
                        INSERT INTO students_search (rowid, search_key) VALUES (new.id, new.search_key);
                    END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER students_search_delete AFTER DELETE ON students BEGIN
                        INSERT INTO students_search (students_search, rowid, search_key)
                            VALUES ('delete', old.id, old.search_key);
                    END",
                )
                .await?;
                db.execute_unprepared(
                    "INSERT INTO students_search (rowid, search_key) SELECT id, search_key FROM students",
                )
                .await?;
            }
            _ => {}
        }

        // The exact number of live students, one row, kept by every create
        // and delete in the same transaction.
        manager
            .create_table(
                table(backend, StudentCount::Table)
                    .col(
                        ColumnDef::new(StudentCount::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(StudentCount::Live).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&match backend {
            DbBackend::MySql => "INSERT INTO `student_count` (`id`, `live`) \
                 SELECT 1, COUNT(*) FROM `students` WHERE `deleted_at` IS NULL"
                .to_owned(),
            _ => "INSERT INTO \"student_count\" (\"id\", \"live\") \
                 SELECT 1, COUNT(*) FROM \"students\" WHERE \"deleted_at\" IS NULL"
                .to_owned(),
        })
        .await?;

        // A registrar's own recent changes.
        manager
            .create_index(
                Index::create()
                    .name("revisions_registrar_idx")
                    .table(Alias::new("revisions"))
                    .col(Alias::new("registrar"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await?;

        // Uploaded CSV files waiting for the registrar to confirm the import.
        let mut csv = ColumnDef::new(Imports::Csv);
        match backend {
            DbBackend::MySql => csv.custom(Alias::new("LONGTEXT")),
            _ => csv.text(),
        };
        manager
            .create_table(
                table(backend, Imports::Table)
                    .col(
                        ColumnDef::new(Imports::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Imports::Registrar).string_len(64).not_null())
                    .col(ColumnDef::new(Imports::Filename).string_len(255).not_null())
                    .col(csv.not_null())
                    .col(ColumnDef::new(Imports::Rows).big_integer().not_null())
                    .col(instant(backend, Imports::CreatedAt).not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
