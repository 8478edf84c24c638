//! The registrar office (contract §9): every account gets a role (accounts that
//! exist when this runs become admins), a version for its admin form, a
//! "must choose a new password" flag and its last sign-in; sessions record
//! the client's address and browser; every change to an account is kept in
//! `account_changes`; sign-in checks in flight are counted in
//! `sign_in_checks`, so that the throttle can let at most as many through
//! as there are failures left to allow.

use sea_orm_migration::prelude::*;

use crate::columns::{id, instant, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Registrars {
    Table,
    Id,
    Role,
    Version,
    MustChangePassword,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ClientAddr,
    UserAgent,
}

#[derive(DeriveIden)]
enum AccountChanges {
    Table,
    Id,
    RegistrarId,
    Version,
    Actor,
    Action,
    Detail,
    At,
}

#[derive(DeriveIden)]
enum SignInChecks {
    Table,
    Id,
    UsernameKey,
    ClientAddr,
    StartedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        // One column per statement: SQLite alters one thing at a time.
        let registrar_columns = [
            ColumnDef::new(Registrars::Role)
                .string_len(16)
                .not_null()
                .default("registrar")
                .to_owned(),
            ColumnDef::new(Registrars::Version)
                .big_integer()
                .not_null()
                .default(1)
                .to_owned(),
            ColumnDef::new(Registrars::MustChangePassword)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            instant(backend, Registrars::LastSignInAt).null().to_owned(),
        ];
        for mut column in registrar_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Registrars::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The accounts of the previous release could do everything.
        manager
            .exec_stmt(
                Query::update()
                    .table(Registrars::Table)
                    .value(Registrars::Role, "admin")
                    .to_owned(),
            )
            .await?;

        for mut column in [
            ColumnDef::new(Sessions::ClientAddr)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Sessions::UserAgent)
                .string_len(200)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                table(backend, AccountChanges::Table)
                    .col(id(AccountChanges::Id))
                    .col(
                        ColumnDef::new(AccountChanges::RegistrarId)
                            .big_integer()
                            .not_null(),
                    )
                    // The account's version after the change.
                    .col(
                        ColumnDef::new(AccountChanges::Version)
                            .big_integer()
                            .not_null(),
                    )
                    // Who made it: a username, or "command line".
                    .col(
                        ColumnDef::new(AccountChanges::Actor)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccountChanges::Action)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccountChanges::Detail)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(instant(backend, AccountChanges::At).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("account_changes_registrar_fk")
                            .from(AccountChanges::Table, AccountChanges::RegistrarId)
                            .to(Registrars::Table, Registrars::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("account_changes_registrar_idx")
                    .table(AccountChanges::Table)
                    .col(AccountChanges::RegistrarId)
                    .col(AccountChanges::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, SignInChecks::Table)
                    .col(id(SignInChecks::Id))
                    .col(
                        ColumnDef::new(SignInChecks::UsernameKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInChecks::ClientAddr)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(instant(backend, SignInChecks::StartedAt).not_null())
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("sign_in_checks_username_idx", SignInChecks::UsernameKey),
            ("sign_in_checks_client_idx", SignInChecks::ClientAddr),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SignInChecks::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
