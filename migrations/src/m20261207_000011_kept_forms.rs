//! A session that ends mid-edit loses nothing (contract §12).
//!
//! - `ended_sessions`: every session that ends (signed out, ended from
//!   another session, idle or past its limit, ended by an admin) is
//!   remembered for a day by the digest of its cookie's token, with its
//!   account, the digest of its form token, when and why it ended; so a
//!   form posted with that cookie and that token can be recognised as its
//!   account's. Nothing here can sign anyone in.
//! - `kept_forms`: what such a form carried (only the fields record forms
//!   have: the student's fields as typed, the version, the version to
//!   restore, the reason), private to its account, for a day.
//!
//! Two new tables, nothing else changes: no row of an earlier release is
//! read or rewritten, and the sessions alive when it runs stay alive.

use sea_orm_migration::prelude::*;

use crate::columns::{id, instant, table, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EndedSessions {
    Table,
    TokenHash,
    RegistrarId,
    CsrfDigest,
    EndedAt,
    Cause,
}

#[derive(DeriveIden)]
enum KeptForms {
    Table,
    Id,
    RegistrarId,
    Action,
    StudentId,
    Version,
    Revision,
    Fields,
    Reason,
    EndedBy,
    KeptAt,
    OpenedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // No foreign keys: ending a session or keeping a form never waits
        // for a lock on an account's row that a write may hold.
        manager
            .create_table(
                table(backend, EndedSessions::Table)
                    .col(
                        ColumnDef::new(EndedSessions::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EndedSessions::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EndedSessions::CsrfDigest)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, EndedSessions::EndedAt).not_null())
                    .col(
                        ColumnDef::new(EndedSessions::Cause)
                            .string_len(16)
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ended_sessions_registrar_idx", EndedSessions::RegistrarId),
            ("ended_sessions_ended_at_idx", EndedSessions::EndedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(EndedSessions::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                table(backend, KeptForms::Table)
                    .col(id(KeptForms::Id))
                    .col(
                        ColumnDef::new(KeptForms::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(KeptForms::Action).string_len(16).not_null())
                    .col(ColumnDef::new(KeptForms::StudentId).big_integer().null())
                    .col(ColumnDef::new(KeptForms::Version).big_integer().null())
                    .col(ColumnDef::new(KeptForms::Revision).big_integer().null())
                    // The student's fields as typed, form-encoded
                    // (`name=…&address=…`) under the forms' field names, so
                    // a field added to the forms is kept with no change here.
                    .col(text(KeptForms::Fields).not_null())
                    .col(text(KeptForms::Reason).null())
                    .col(ColumnDef::new(KeptForms::EndedBy).string_len(16).not_null())
                    .col(instant(backend, KeptForms::KeptAt).not_null())
                    .col(instant(backend, KeptForms::OpenedAt).null())
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "kept_forms_registrar_idx",
                vec![KeptForms::RegistrarId, KeptForms::Id],
            ),
            ("kept_forms_kept_at_idx", vec![KeptForms::KeptAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(KeptForms::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KeptForms::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EndedSessions::Table).to_owned())
            .await
    }
}
