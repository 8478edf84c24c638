//! Who looked (contract §15): the access log, one row per view of a
//! student's record, form, history or comparison, per CSV export and per
//! read of the log itself.
//!
//! `access_log` starts empty; each instance's batched writer appends to it
//! (multi-row inserts, never in a request's path) and a sweeper deletes
//! rows older than `--access-log-days`. It is read newest first by
//! `(at, id)`, whole or with one account's or one student's entries: an
//! index for each. Upgrades a populated database of the previous release:
//! nothing existing is touched.

use sea_orm_migration::prelude::*;

use crate::columns::{id, instant, table, text};
use crate::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessLog {
    Table,
    Id,
    At,
    Account,
    Kind,
    StudentId,
    Query,
    Rows,
    ClientAddr,
    Confidential,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, AccessLog::Table)
                    .col(id(AccessLog::Id))
                    .col(instant(backend, AccessLog::At).not_null())
                    .col(ColumnDef::new(AccessLog::Account).string_len(64).not_null())
                    .col(ColumnDef::new(AccessLog::Kind).string_len(24).not_null())
                    .col(ColumnDef::new(AccessLog::StudentId).big_integer().null())
                    .col(text(AccessLog::Query).null())
                    .col(ColumnDef::new(AccessLog::Rows).big_integer().null())
                    .col(
                        ColumnDef::new(AccessLog::ClientAddr)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccessLog::Confidential)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        let indexed: [(&str, Option<AccessLog>); 3] = [
            (indexes::ACCESS_LOG_AT, None),
            (indexes::ACCESS_LOG_STUDENT, Some(AccessLog::StudentId)),
            (indexes::ACCESS_LOG_ACCOUNT, Some(AccessLog::Account)),
        ];
        for (name, leading) in indexed {
            let mut index = Index::create();
            index.name(name).table(AccessLog::Table);
            if let Some(column) = leading {
                index.col(column);
            }
            index.col(AccessLog::At).col(AccessLog::Id);
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessLog::Table).to_owned())
            .await
    }
}
