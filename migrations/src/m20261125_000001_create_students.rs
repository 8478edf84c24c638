//! Students, their revisions and the conflict entries of their history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{id, instant, search_key, table, text};
use crate::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Students {
    Table,
    Id,
    Name,
    Address,
    GpaHundredths,
    SearchKey,
    Version,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Id,
    StudentId,
    Version,
    Action,
    Name,
    Address,
    GpaHundredths,
    Registrar,
    At,
}

#[derive(DeriveIden)]
enum Conflicts {
    Table,
    Id,
    StudentId,
    Attempted,
    SubmittedVersion,
    CurrentVersion,
    Name,
    Address,
    Gpa,
    Registrar,
    At,
}

/// Longest registrar username, in characters.
const REGISTRAR_LEN: u32 = 64;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                table(backend, Students::Table)
                    .col(id(Students::Id))
                    .col(ColumnDef::new(Students::Name).string_len(30).not_null())
                    .col(ColumnDef::new(Students::Address).string_len(60).not_null())
                    .col(
                        ColumnDef::new(Students::GpaHundredths)
                            .small_integer()
                            .not_null()
                            .check(Expr::col(Students::GpaHundredths).between(0, 400)),
                    )
                    // Lower-cased "name\naddress": one portable, Unicode-aware
                    // column for the list's case-insensitive search.
                    .col(search_key(backend, Students::SearchKey).not_null())
                    .col(ColumnDef::new(Students::Version).big_integer().not_null())
                    .col(instant(backend, Students::CreatedAt).not_null())
                    .col(instant(backend, Students::UpdatedAt).not_null())
                    .col(
                        ColumnDef::new(Students::UpdatedBy)
                            .string_len(REGISTRAR_LEN)
                            .not_null(),
                    )
                    .col(instant(backend, Students::DeletedAt).null())
                    .col(
                        ColumnDef::new(Students::DeletedBy)
                            .string_len(REGISTRAR_LEN)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;

        // The list's orders (names sort by the lower-cased search key, so
        // alike on every backend), over live students only. PostgreSQL and
        // SQLite: partial indexes, which also let a deep page be counted
        // off in the index alone. MySQL/MariaDB has no partial indexes:
        // `deleted_at` leads instead (InnoDB adds the id anyway).
        let db = manager.get_connection();
        for (name, column) in [
            (indexes::STUDENTS_LIVE_NAME, "search_key"),
            (indexes::STUDENTS_LIVE_GPA, "gpa_hundredths"),
            (indexes::STUDENTS_LIVE_UPDATED, "updated_at"),
        ] {
            db.execute_unprepared(&match backend {
                DbBackend::MySql => format!(
                    "CREATE INDEX `{name}` ON `students` (`deleted_at`, `{column}`, `id`)"
                ),
                _ => format!(
                    "CREATE INDEX \"{name}\" ON \"students\" (\"{column}\", \"id\") WHERE \"deleted_at\" IS NULL"
                ),
            })
            .await?;
        }

        manager
            .create_table(
                table(backend, Revisions::Table)
                    .col(id(Revisions::Id))
                    .col(
                        ColumnDef::new(Revisions::StudentId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Revisions::Version).big_integer().not_null())
                    .col(ColumnDef::new(Revisions::Action).string_len(16).not_null())
                    .col(ColumnDef::new(Revisions::Name).string_len(30).not_null())
                    .col(ColumnDef::new(Revisions::Address).string_len(60).not_null())
                    .col(
                        ColumnDef::new(Revisions::GpaHundredths)
                            .small_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Revisions::Registrar)
                            .string_len(REGISTRAR_LEN)
                            .not_null(),
                    )
                    .col(instant(backend, Revisions::At).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("revisions_student_fk")
                            .from(Revisions::Table, Revisions::StudentId)
                            .to(Students::Table, Students::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // One revision per version: a second writer of the same version
        // fails here even if every other guard were gone.
        manager
            .create_index(
                Index::create()
                    .name("revisions_student_version_key")
                    .table(Revisions::Table)
                    .col(Revisions::StudentId)
                    .col(Revisions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, Conflicts::Table)
                    .col(id(Conflicts::Id))
                    .col(
                        ColumnDef::new(Conflicts::StudentId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Conflicts::Attempted)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Conflicts::SubmittedVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Conflicts::CurrentVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(Conflicts::Name).null())
                    .col(text(Conflicts::Address).null())
                    .col(text(Conflicts::Gpa).null())
                    .col(
                        ColumnDef::new(Conflicts::Registrar)
                            .string_len(REGISTRAR_LEN)
                            .not_null(),
                    )
                    .col(instant(backend, Conflicts::At).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("conflicts_student_fk")
                            .from(Conflicts::Table, Conflicts::StudentId)
                            .to(Students::Table, Students::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("conflicts_student_idx")
                    .table(Conflicts::Table)
                    .col(Conflicts::StudentId)
                    .col(Conflicts::Id)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }
}
