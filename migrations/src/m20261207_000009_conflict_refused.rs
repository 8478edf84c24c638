//! Conflict entries say which submitted values they did not keep.
//!
//! A stale submission is kept as a conflict entry with what the registrar
//! sent, so nothing typed is lost. From this release the values are held to
//! the form's rules first: a value that breaks them (a reason of 2,000
//! characters, a name with a right-to-left override) is not stored, and
//! `refused` names the fields it was sent for (space-separated: `name`,
//! `address`, `gpa`, `reason`). `NULL`: every value sent was kept (all
//! entries of earlier releases, which kept values unchecked).
//!
//! Upgrades a populated database of the previous release: a nullable column
//! added, no row rewritten.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conflicts {
    Table,
    Refused,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Conflicts::Table)
                    .add_column(ColumnDef::new(Conflicts::Refused).string_len(64).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Conflicts::Table)
                    .drop_column(Conflicts::Refused)
                    .to_owned(),
            )
            .await
    }
}
