//! Registrar accounts, their sessions, failed sign-ins (for throttling) and
//! the one-row table that serialises first-time setup.

use sea_orm_migration::prelude::*;

use crate::columns::{id, instant, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Registrars {
    Table,
    Id,
    Username,
    UsernameKey,
    PasswordHash,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    RegistrarId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    UsernameKey,
    ClientAddr,
    At,
}

#[derive(DeriveIden)]
enum Instance {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                table(backend, Registrars::Table)
                    .col(id(Registrars::Id))
                    .col(
                        ColumnDef::new(Registrars::Username)
                            .string_len(64)
                            .not_null(),
                    )
                    // Lower-cased username: unique, so "Ada" and "ada" are one account.
                    .col(
                        ColumnDef::new(Registrars::UsernameKey)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Registrars::PasswordHash)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(instant(backend, Registrars::CreatedAt).not_null())
                    .col(instant(backend, Registrars::DisabledAt).null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, Sessions::Table)
                    // SHA-256 of the cookie's token, hex: a leaked table
                    // gives no usable cookie.
                    .col(
                        ColumnDef::new(Sessions::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Sessions::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Sessions::CsrfToken)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, Sessions::CreatedAt).not_null())
                    .col(instant(backend, Sessions::LastSeenAt).not_null())
                    .col(instant(backend, Sessions::ExpiresAt).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("sessions_registrar_fk")
                            .from(Sessions::Table, Sessions::RegistrarId)
                            .to(Registrars::Table, Registrars::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_registrar_idx")
                    .table(Sessions::Table)
                    .col(Sessions::RegistrarId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, LoginFailures::Table)
                    .col(id(LoginFailures::Id))
                    .col(
                        ColumnDef::new(LoginFailures::UsernameKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginFailures::ClientAddr)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, LoginFailures::At).not_null())
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("login_failures_username_idx", LoginFailures::UsernameKey),
            ("login_failures_client_idx", LoginFailures::ClientAddr),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginFailures::Table)
                        .col(column)
                        .col(LoginFailures::At)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                table(backend, Instance::Table)
                    .col(
                        ColumnDef::new(Instance::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Instance::Table)
                    .columns([Instance::Id])
                    .values_panic([1.into()])
                    .to_owned(),
            )
            .await?;

        Ok(())
    }
}
