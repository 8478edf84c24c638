//! Confidential students (contract §15): a directory-information hold.
//!
//! `confidential` is added to `students` and `revisions` as a boolean that
//! is false for every student of earlier releases, and beside the other
//! values in `conflicts` (as sent: `true`/`false`; `NULL` when not sent)
//! and `import_rows` (`NULL`: the file had no such column, so the row
//! leaves the hold as it is). Upgrades a populated database of the
//! previous release.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Students {
    Table,
    Confidential,
}

#[derive(DeriveIden)]
enum Revisions {
    Table,
}

#[derive(DeriveIden)]
enum Conflicts {
    Table,
}

#[derive(DeriveIden)]
enum ImportRows {
    Table,
}

async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

async fn drop(manager: &SchemaManager<'_>, table: impl IntoIden) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .drop_column(Students::Confidential)
                .to_owned(),
        )
        .await
}

/// Students and revisions: a hold or none, never unknown.
fn flag() -> ColumnDef {
    ColumnDef::new(Students::Confidential)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

/// Conflict entries and import rows: the value as sent, or `NULL`.
fn sent() -> ColumnDef {
    ColumnDef::new(Students::Confidential)
        .string_len(16)
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, Students::Table, flag()).await?;
        add(manager, Revisions::Table, flag()).await?;
        add(manager, Conflicts::Table, sent()).await?;
        add(manager, ImportRows::Table, sent()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, Students::Table).await?;
        drop(manager, Revisions::Table).await?;
        drop(manager, Conflicts::Table).await?;
        drop(manager, ImportRows::Table).await
    }
}
