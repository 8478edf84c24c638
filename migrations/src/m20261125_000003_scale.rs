//! What a million students need: list indexes that skip deleted rows (and
//! serve deep pages from the index alone), an index for substring search,
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

/// The list's orders: (index name, column). Names sort by the lower-cased
/// search key (name first), so that every backend orders them alike,
/// regardless of case.
const SORTS: [(&str, &str); 3] = [
    ("students_name_idx", "search_key"),
    ("students_gpa_idx", "gpa_hundredths"),
    ("students_updated_idx", "updated_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();

        // MySQL/MariaDB compares text by collation, case- and accent-blind
        // in utf8mb4_unicode_ci: the search key (already lower-cased) is
        // compared by code points instead, as on the other backends.
        if backend == DbBackend::MySql {
            db.execute_unprepared(
                "ALTER TABLE `students` MODIFY `search_key` VARCHAR(400) \
                 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
            )
            .await?;
        }

        // List indexes. PostgreSQL and SQLite: partial indexes over live
        // students, which also let a deep page be counted off in the index.
        // MySQL/MariaDB has no partial indexes: `deleted_at` leads instead,
        // and InnoDB adds the id to every secondary index.
        for (old, column) in SORTS {
            let name = old.replace("students_", "students_live_");
            db.execute_unprepared(&match backend {
                DbBackend::MySql => format!(
                    "CREATE INDEX `{name}` ON `students` (`deleted_at`, `{column}`, `id`)"
                ),
                _ => format!(
                    "CREATE INDEX \"{name}\" ON \"students\" (\"{column}\", \"id\") WHERE \"deleted_at\" IS NULL"
                ),
            })
            .await?;
            db.execute_unprepared(&match backend {
                DbBackend::MySql => format!("DROP INDEX `{old}` ON `students`"),
                _ => format!("DROP INDEX \"{old}\""),
            })
            .await?;
        }

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
