//! The spreadsheet round-trip (contract §6): an import keeps the checked
//! rows of its file, not the file, and its confirm is a job whose state
//! lives in the database.
//!
//! Upgrades a populated database of the previous release: the old
//! `imports` table held raw files waiting at most a day for a confirm; they
//! are dropped with it (the registrar uploads the file again), and the new
//! `imports` and `import_rows` tables start empty. Students, revisions and
//! conflict entries are untouched.

use sea_orm_migration::prelude::*;

use crate::columns::{instant, table, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    Registrar,
    Filename,
    Rows,
    CreatedAt,
    State,
    AllOrNothing,
    LeaseUntil,
    Written,
    Refused,
    Failure,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ImportRows {
    Table,
    ImportId,
    Seq,
    Line,
    StudentId,
    Version,
    Name,
    Address,
    Gpa,
    Outcome,
    Messages,
    Result,
    ResultVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .drop_table(Table::drop().table(Imports::Table).if_exists().to_owned())
            .await?;
        manager
            .create_table(
                table(backend, Imports::Table)
                    .col(
                        ColumnDef::new(Imports::Id)
                            .string_len(43)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Imports::Registrar).string_len(64).not_null())
                    .col(ColumnDef::new(Imports::Filename).string_len(255).not_null())
                    .col(ColumnDef::new(Imports::Rows).big_integer().not_null())
                    .col(instant(backend, Imports::CreatedAt).not_null())
                    // checking, pending, running, done, failed
                    .col(ColumnDef::new(Imports::State).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Imports::AllOrNothing)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    // The running job's instance renews this after every
                    // batch; once it has passed, any instance takes over.
                    .col(instant(backend, Imports::LeaseUntil).null())
                    .col(
                        ColumnDef::new(Imports::Written)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Imports::Refused)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Imports::Failure).string_len(200).null())
                    .col(instant(backend, Imports::FinishedAt).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("imports_registrar_idx")
                    .table(Imports::Table)
                    .col(Imports::Registrar)
                    .col(Imports::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, ImportRows::Table)
                    .col(
                        ColumnDef::new(ImportRows::ImportId)
                            .string_len(43)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ImportRows::Seq).big_integer().not_null())
                    .col(ColumnDef::new(ImportRows::Line).big_integer().not_null())
                    .col(ColumnDef::new(ImportRows::StudentId).big_integer().null())
                    .col(ColumnDef::new(ImportRows::Version).big_integer().null())
                    .col(text(ImportRows::Name).not_null())
                    .col(text(ImportRows::Address).not_null())
                    .col(text(ImportRows::Gpa).not_null())
                    // create, update, unchanged, conflict, deleted, unknown, invalid
                    .col(
                        ColumnDef::new(ImportRows::Outcome)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(text(ImportRows::Messages).null())
                    // After the confirm: written, unchanged, refused, held.
                    .col(ColumnDef::new(ImportRows::Result).string_len(16).null())
                    .col(
                        ColumnDef::new(ImportRows::ResultVersion)
                            .big_integer()
                            .null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ImportRows::ImportId)
                            .col(ImportRows::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("import_rows_import_fk")
                            .from(ImportRows::Table, ImportRows::ImportId)
                            .to(Imports::Table, Imports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("import_rows_student_idx")
                    .table(ImportRows::Table)
                    .col(ImportRows::ImportId)
                    .col(ImportRows::StudentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("import_rows_outcome_idx")
                    .table(ImportRows::Table)
                    .col(ImportRows::ImportId)
                    .col(ImportRows::Outcome)
                    .col(ImportRows::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportRows::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Imports::Table).to_owned())
            .await
    }
}
