//! Two factors for password accounts (contract §14).
//!
//! - `two_factor_secrets`: one row per account that has turned on a
//!   time-based one-time password: its secret (base32, as the page showed
//!   it), when it was turned on, and `last_step`, the last 30-second step
//!   whose code was accepted (`NULL`: none yet). A code is accepted only
//!   for a later step, written with `WHERE last_step < ?`, so every
//!   instance on the database refuses a replay.
//! - `recovery_codes`: the ten single-use codes, SHA-256 only; `used_at`
//!   set once, with `WHERE used_at IS NULL`.
//! - `two_factor_steps`: a right password waiting for its second factor,
//!   named by the SHA-256 of the cookie's token; it expires (5 minutes)
//!   and is deleted when used. No session exists until then.
//!
//! Upgrades a populated database of the previous release: three new tables
//! that start empty; nothing existing is touched.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{id, instant, table, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TwoFactorSecrets {
    Table,
    RegistrarId,
    Secret,
    EnabledAt,
    LastStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    RegistrarId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum TwoFactorSteps {
    Table,
    TokenHash,
    RegistrarId,
    Next,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Registrars {
    Table,
    Id,
}

/// A SHA-256, hex, compared exactly on MySQL/MariaDB too.
fn digest(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => {
            column.custom(Alias::new("CHAR(64) CHARACTER SET ascii COLLATE ascii_bin"))
        }
        _ => column.char_len(64),
    };
    column
}

fn account_fk(name: &str, table: impl IntoIden, from: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, from)
        .to(Registrars::Table, Registrars::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, TwoFactorSecrets::Table)
                    .col(
                        ColumnDef::new(TwoFactorSecrets::RegistrarId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TwoFactorSecrets::Secret)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, TwoFactorSecrets::EnabledAt).not_null())
                    .col(
                        ColumnDef::new(TwoFactorSecrets::LastStep)
                            .big_integer()
                            .null(),
                    )
                    .foreign_key(&mut account_fk(
                        "two_factor_secrets_account_fk",
                        TwoFactorSecrets::Table,
                        TwoFactorSecrets::RegistrarId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, RecoveryCodes::Table)
                    .col(id(RecoveryCodes::Id))
                    .col(
                        ColumnDef::new(RecoveryCodes::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(digest(backend, RecoveryCodes::CodeHash).not_null())
                    .col(instant(backend, RecoveryCodes::UsedAt).null())
                    .foreign_key(&mut account_fk(
                        "recovery_codes_account_fk",
                        RecoveryCodes::Table,
                        RecoveryCodes::RegistrarId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("recovery_codes_account_idx")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::RegistrarId)
                    .col(RecoveryCodes::CodeHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, TwoFactorSteps::Table)
                    .col(
                        digest(backend, TwoFactorSteps::TokenHash)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TwoFactorSteps::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(TwoFactorSteps::Next).not_null())
                    .col(instant(backend, TwoFactorSteps::CreatedAt).not_null())
                    .col(instant(backend, TwoFactorSteps::ExpiresAt).not_null())
                    .foreign_key(&mut account_fk(
                        "two_factor_steps_account_fk",
                        TwoFactorSteps::Table,
                        TwoFactorSteps::RegistrarId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("two_factor_steps_expires_idx")
                    .table(TwoFactorSteps::Table)
                    .col(TwoFactorSteps::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TwoFactorSteps::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            TwoFactorSecrets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
