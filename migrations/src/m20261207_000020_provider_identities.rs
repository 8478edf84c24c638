//! Signing in with the university's identity provider (contract §14).
//!
//! - `provider_identities`: the provider identity an account is linked to,
//!   the pair (`issuer`, `subject`) unique, at most one per account. Both
//!   are compared exactly: ASCII with a binary collation on MySQL/MariaDB
//!   (an OpenID `sub` is case-sensitive ASCII of at most 255 characters).
//! - `sessions.began_at_provider`: the session began with the provider, so
//!   signing out also ends the provider's session.
//!
//! Upgrades a populated database of the previous release: a new, empty
//! table, and every existing session marked as begun with a password.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{id, instant, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProviderIdentities {
    Table,
    Id,
    RegistrarId,
    Issuer,
    Subject,
    LinkedAt,
    LinkedBy,
}

#[derive(DeriveIden)]
enum Registrars {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    BeganAtProvider,
}

/// ASCII text compared byte for byte on every backend.
fn exact(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => column.custom(Alias::new(
            "VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin",
        )),
        _ => column.string_len(255),
    };
    column
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, ProviderIdentities::Table)
                    .col(id(ProviderIdentities::Id))
                    .col(
                        ColumnDef::new(ProviderIdentities::RegistrarId)
                            .big_integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(exact(backend, ProviderIdentities::Issuer).not_null())
                    .col(exact(backend, ProviderIdentities::Subject).not_null())
                    .col(instant(backend, ProviderIdentities::LinkedAt).not_null())
                    .col(
                        ColumnDef::new(ProviderIdentities::LinkedBy)
                            .string_len(64)
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("provider_identities_registrar_fk")
                            .from(ProviderIdentities::Table, ProviderIdentities::RegistrarId)
                            .to(Registrars::Table, Registrars::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("provider_identities_subject_idx")
                    .table(ProviderIdentities::Table)
                    .col(ProviderIdentities::Issuer)
                    .col(ProviderIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(
                        ColumnDef::new(Sessions::BeganAtProvider)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::BeganAtProvider)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ProviderIdentities::Table).to_owned())
            .await
    }
}
