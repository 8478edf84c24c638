//! Import rows keep a valid row's GPA as the students and revisions tables
//! do (`gpa_hundredths`), so a row is typed once, when its file is read:
//! the confirm reads its values back as they were checked and never parses
//! them again. `gpa` stays the text a page shows (as read, for an invalid
//! row); `gpa_hundredths` is `NULL` for an invalid row.
//!
//! Upgrades a populated database of the previous release: the column is
//! added, and filled for the valid rows of earlier releases from their
//! canonical text (`3.50` → 350, always two decimals).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportRows {
    Table,
    GpaHundredths,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ImportRows::Table)
                    .add_column(
                        ColumnDef::new(ImportRows::GpaHundredths)
                            .small_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        let integer = match manager.get_database_backend() {
            DbBackend::MySql => "SIGNED",
            DbBackend::Postgres => "SMALLINT",
            _ => "INTEGER",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE import_rows SET gpa_hundredths = CAST(REPLACE(gpa, '.', '') AS {integer}) \
                 WHERE outcome <> 'invalid'"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ImportRows::Table)
                    .drop_column(ImportRows::GpaHundredths)
                    .to_owned(),
            )
            .await
    }
}
