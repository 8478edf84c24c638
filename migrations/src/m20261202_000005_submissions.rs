//! Submission ids (contract §10): each revision may name the form
//! submission that made it, so that a save whose commit was cut off can be
//! looked up afterwards, and a resubmitted form is never applied twice.
//!
//! Upgrades a populated database of the previous release in place: the
//! column is nullable (earlier revisions name no submission; NULLs do not
//! collide in a unique index on any backend).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Submission,
}

/// Longest submission id the application accepts (it makes 43-character
/// ones).
pub const SUBMISSION_LEN: u32 = 64;

const INDEX: &str = "revisions_submission_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Revisions::Table)
                    .add_column(
                        ColumnDef::new(Revisions::Submission)
                            .string_len(SUBMISSION_LEN)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Revisions::Table)
                    .col(Revisions::Submission)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
