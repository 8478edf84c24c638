//! Room on every page of `import_rows` for its row's result (PostgreSQL).
//!
//! A confirm records each row's result (`result`, `result_version`) with an
//! update of the row. PostgreSQL writes an update as a new row version; when
//! the row's page has no room for it, the new version goes to another page
//! and every one of the table's three indexes gains an entry for it. Pages
//! filled to half when the checked rows are stored leave that room, so the
//! result updates stay on their page and touch no index (a heap-only
//! update): recording the results of a 100,000-row confirm took 2.2 s of
//! the database's time with full pages and 0.6 s with half-full ones
//! (BENCHMARKS.md). The table holds an import's rows only until its results
//! expire, so the extra space is short-lived.
//!
//! SQLite and MariaDB (InnoDB) update a row in place: nothing to do there.
//! Upgrades a populated database of the previous release: the setting
//! applies to pages written from now on; rows stored before it keep theirs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Percent of each `import_rows` page filled when rows are stored.
pub const IMPORT_ROWS_FILLFACTOR: u8 = 50;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE import_rows SET (fillfactor = {IMPORT_ROWS_FILLFACTOR})"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE import_rows RESET (fillfactor)")
                .await?;
        }
        Ok(())
    }
}
