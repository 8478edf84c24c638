//! The API's idempotency keys (contract §13): one row per (account, key),
//! claimed by the request that first sends the key, and holding the answer
//! (status, `ETag`, `Location`, body) once the request is answered — for a
//! write, in the write's own transaction. Keys are kept 24 hours.
//!
//! The key itself is stored as its SHA-256 (a fixed length, compared the
//! same way on every backend whatever the table's collation). Upgrades a
//! populated database of the previous release: nothing existing is
//! touched.

use sea_orm_migration::prelude::*;

use crate::columns::{id, instant, table, text};
use crate::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    AccountId,
    KeyDigest,
    Fingerprint,
    Claim,
    ClaimedAt,
    CreatedAt,
    Status,
    Etag,
    Location,
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, IdempotencyKeys::Table)
                    .col(id(IdempotencyKeys::Id))
                    .col(
                        ColumnDef::new(IdempotencyKeys::AccountId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKeys::KeyDigest)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKeys::Fingerprint)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKeys::Claim)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, IdempotencyKeys::ClaimedAt).not_null())
                    .col(instant(backend, IdempotencyKeys::CreatedAt).not_null())
                    .col(
                        ColumnDef::new(IdempotencyKeys::Status)
                            .small_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(IdempotencyKeys::Etag).string_len(32).null())
                    .col(
                        ColumnDef::new(IdempotencyKeys::Location)
                            .string_len(255)
                            .null(),
                    )
                    .col(text(IdempotencyKeys::Body).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(indexes::IDEMPOTENCY_KEY)
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::AccountId)
                    .col(IdempotencyKeys::KeyDigest)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(indexes::IDEMPOTENCY_CREATED)
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}
