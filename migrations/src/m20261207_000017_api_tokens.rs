//! API tokens (contract §13): an account's credentials for `/api/v1`.
//!
//! - `api_tokens`: one row per token, never deleted (a revoked token stays
//!   listed, with who revoked it and when). Only the SHA-256 of the token is
//!   kept (`token_hash`, 64 lowercase hex digits, unique: the look-up of
//!   every API request); `role` caps the account's role (`NULL`: no cap);
//!   `expires_at` `NULL` never expires; `last_used_at` is noted at most once
//!   a minute per token.
//! - `api_token_failures`: wrong tokens per client address, the API's own
//!   throttle counter (the sign-in page counts in `login_failures`), read
//!   by `(client_addr, at)`.
//!
//! Upgrades a populated database of the previous release: two new tables
//! that start empty; nothing existing is touched.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{id, instant, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    AccountId,
    Name,
    TokenHash,
    Role,
    CreatedAt,
    CreatedBy,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum ApiTokenFailures {
    Table,
    Id,
    ClientAddr,
    At,
}

#[derive(DeriveIden)]
enum Registrars {
    Table,
    Id,
}

/// The token's SHA-256, hex: compared exactly on MySQL/MariaDB too, whose
/// default collation ignores case.
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, ApiTokens::Table)
                    .col(id(ApiTokens::Id))
                    .col(
                        ColumnDef::new(ApiTokens::AccountId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ApiTokens::Name).string_len(64).not_null())
                    .col(
                        digest(backend, ApiTokens::TokenHash)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::Role).string_len(16).null())
                    .col(instant(backend, ApiTokens::CreatedAt).not_null())
                    .col(
                        ColumnDef::new(ApiTokens::CreatedBy)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, ApiTokens::ExpiresAt).null())
                    .col(instant(backend, ApiTokens::LastUsedAt).null())
                    .col(instant(backend, ApiTokens::RevokedAt).null())
                    .col(ColumnDef::new(ApiTokens::RevokedBy).string_len(64).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("api_tokens_account_fk")
                            .from(ApiTokens::Table, ApiTokens::AccountId)
                            .to(Registrars::Table, Registrars::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_tokens_account_idx")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::AccountId)
                    .col(ApiTokens::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, ApiTokenFailures::Table)
                    .col(id(ApiTokenFailures::Id))
                    .col(
                        ColumnDef::new(ApiTokenFailures::ClientAddr)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, ApiTokenFailures::At).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_token_failures_client_idx")
                    .table(ApiTokenFailures::Table)
                    .col(ApiTokenFailures::ClientAddr)
                    .col(ApiTokenFailures::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_token_failures_at_idx")
                    .table(ApiTokenFailures::Table)
                    .col(ApiTokenFailures::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokenFailures::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}
