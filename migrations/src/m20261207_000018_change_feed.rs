//! The change feed (contract §13, `GET /api/v1/changes`): every committed
//! revision once, in a dense order its readers page through.
//!
//! - `revisions.feed_position`: the revision's place in the feed, stamped
//!   after its commit by the one instance holding the sequencer's lease
//!   (`NULL` until then). Writers never set it: a revision is inserted
//!   without it, in the writer's own transaction as before. It is not
//!   part of the revision's hash (the chain covers what the change was,
//!   not where a feed lists it).
//! - `feed_sequencer`: one row (id 1): the feed's `epoch` (random; cursors
//!   carry it), the `baseline`, the `last_position` stamped, and the lease
//!   (`holder`, `lease_until`). Stamping locks this row, so a lease moved
//!   to another instance fences a batch still running on the old one.
//! - The revisions that exist when this migration runs are not rewritten:
//!   their place in the feed is their id (all of them committed by now,
//!   ids unique and ascending), and `baseline` is the highest of them.
//!   Later revisions are stamped above it. So a database of millions of
//!   revisions upgrades by adding a nullable column, two indexes and a
//!   row, with no row written.
//! - Indexes: the stamped revisions by position, and the unstamped ones
//!   by id, which the sequencer reads. PostgreSQL and SQLite: two partial
//!   indexes, a unique one `WHERE feed_position IS NOT NULL` (which a
//!   writer's insert never enters) and one `WHERE feed_position IS NULL`
//!   (its id). MySQL/MariaDB has no partial indexes: one index on
//!   `(feed_position, id)` serves both (the unstamped ones are its `NULL`
//!   entries, in id order; MariaDB reads an id range there only when the
//!   id is a column of the index, not the key's hidden suffix). Positions
//!   are unique there by the sequencer alone: a batch commits only if it
//!   moved `last_position` from the value it read, under the row's lock.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::columns::{instant, table};
use crate::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revisions {
    Table,
    FeedPosition,
}

#[derive(DeriveIden)]
enum FeedSequencer {
    Table,
    Id,
    Epoch,
    Baseline,
    LastPosition,
    Holder,
    LeaseUntil,
}

/// 128 random bits as lower-case hex: the feed's first epoch.
fn new_epoch() -> Result<String, DbErr> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| DbErr::Custom(format!("no randomness for the feed's epoch: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn create_indexes(backend: DbBackend) -> Vec<String> {
    let (feed, unstamped) = (indexes::REVISIONS_FEED, indexes::REVISIONS_UNSTAMPED);
    match backend {
        DbBackend::MySql => {
            vec![format!(
                "CREATE INDEX `{feed}` ON `revisions` (`feed_position`, `id`)"
            )]
        }
        _ => vec![
            format!(
                "CREATE UNIQUE INDEX \"{feed}\" ON \"revisions\" (\"feed_position\") \
                 WHERE \"feed_position\" IS NOT NULL"
            ),
            format!(
                "CREATE INDEX \"{unstamped}\" ON \"revisions\" (\"id\") \
                 WHERE \"feed_position\" IS NULL"
            ),
        ],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        manager
            .alter_table(
                Table::alter()
                    .table(Revisions::Table)
                    .add_column(ColumnDef::new(Revisions::FeedPosition).big_integer().null())
                    .to_owned(),
            )
            .await?;
        for statement in create_indexes(backend) {
            db.execute_unprepared(&statement).await?;
        }
        manager
            .create_table(
                table(backend, FeedSequencer::Table)
                    .col(
                        ColumnDef::new(FeedSequencer::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(FeedSequencer::Epoch)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FeedSequencer::Baseline)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FeedSequencer::LastPosition)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(FeedSequencer::Holder).string_len(64).null())
                    .col(instant(backend, FeedSequencer::LeaseUntil).null())
                    .to_owned(),
            )
            .await?;
        let highest = match backend {
            DbBackend::MySql => "SELECT COALESCE(MAX(`id`), 0) AS h FROM `revisions`",
            _ => "SELECT COALESCE(MAX(\"id\"), 0) AS h FROM \"revisions\"",
        };
        let sql = match backend {
            DbBackend::MySql => format!(
                "INSERT INTO `feed_sequencer` (`id`, `epoch`, `baseline`, `last_position`) \
                 SELECT 1, ?, h, h FROM ({highest}) AS highest"
            ),
            DbBackend::Postgres => format!(
                "INSERT INTO \"feed_sequencer\" (\"id\", \"epoch\", \"baseline\", \"last_position\") \
                 SELECT 1, $1, h, h FROM ({highest}) AS highest"
            ),
            _ => format!(
                "INSERT INTO \"feed_sequencer\" (\"id\", \"epoch\", \"baseline\", \"last_position\") \
                 SELECT 1, ?, h, h FROM ({highest}) AS highest"
            ),
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [new_epoch()?.into()],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .drop_table(Table::drop().table(FeedSequencer::Table).to_owned())
            .await?;
        let mut dropped = vec![indexes::REVISIONS_FEED];
        if backend != DbBackend::MySql {
            dropped.push(indexes::REVISIONS_UNSTAMPED);
        }
        for name in dropped {
            manager
                .drop_index(Index::drop().name(name).table(Revisions::Table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Revisions::Table)
                    .drop_column(Revisions::FeedPosition)
                    .to_owned(),
            )
            .await
    }
}
