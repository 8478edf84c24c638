//! History you can act on (contract §7, §8): a `reason` beside every revision
//! and conflict entry, and the table that says who has which edit form
//! open.
//!
//! Upgrades a populated database of the previous release in place: the new
//! columns are nullable (changes made before them gave no reason) and the
//! new table starts empty.

use sea_orm_migration::prelude::*;

use crate::columns::{instant, table, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Reason,
}

#[derive(DeriveIden)]
enum Conflicts {
    Table,
    Reason,
}

#[derive(DeriveIden)]
enum Presence {
    Table,
    RegistrarId,
    StudentId,
    OpenedAt,
}

/// Longest reason a registrar may give, in characters (the application
/// checks it; the column holds it on every backend).
const REASON_LEN: u32 = 200;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .alter_table(
                Table::alter()
                    .table(Revisions::Table)
                    .add_column(
                        ColumnDef::new(Revisions::Reason)
                            .string_len(REASON_LEN)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // A refused submission keeps its reason as typed, however long (cut
        // like its other fields by the application).
        manager
            .alter_table(
                Table::alter()
                    .table(Conflicts::Table)
                    .add_column(text(Conflicts::Reason).null())
                    .to_owned(),
            )
            .await?;

        // One row per (account, student): upserted when the edit form is
        // opened, deleted by a committed save or delete and by signing out.
        // No foreign keys on purpose: on PostgreSQL and MySQL/MariaDB an
        // insert checked against `students` would wait for the row lock a
        // long save holds, and this write must never wait.
        manager
            .create_table(
                table(backend, Presence::Table)
                    .col(
                        ColumnDef::new(Presence::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Presence::StudentId).big_integer().not_null())
                    .col(instant(backend, Presence::OpenedAt).not_null())
                    .primary_key(
                        Index::create()
                            .col(Presence::RegistrarId)
                            .col(Presence::StudentId),
                    )
                    .to_owned(),
            )
            .await?;
        // The notices ask "who has this student open", newest first.
        manager
            .create_index(
                Index::create()
                    .name("presence_student_idx")
                    .table(Presence::Table)
                    .col(Presence::StudentId)
                    .col(Presence::OpenedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
