//! The office's change log (contract §12, "What the office did"): every
//! committed change to any student, newest first, filtered by who, what,
//! when and which student, an import shown as one entry.
//!
//! - `revisions.import_id`: the import whose confirm wrote the revision
//!   (`NULL` for every other change, and for the revisions imports wrote
//!   before this release: they show one entry each). An import's rows are
//!   kept a week; its revisions, and so this link, for good.
//! - `import_entries`: an import as the log shows it, one row for all the
//!   rows it wrote (who, which file, how many, and its place in the log:
//!   its first revision), written by each of its batches in the batch's
//!   transaction. The log lists these beside the revisions no import
//!   wrote, so an import of 10,000 rows costs the log one row, not 10,000.
//! - The log's order is `(at, id)`, newest first, and each filter has an
//!   index in that order over the revisions no import wrote (PostgreSQL
//!   and SQLite: partial indexes, so an import's rows never enter them;
//!   MySQL/MariaDB has none: `import_id` leads instead, and the queries
//!   name the index). `by=` takes over from `revisions_registrar_idx`
//!   (`registrar`, `id`), which only "My changes" read; an import's own
//!   rows are read by `(import_id, at, id)`.
//!
//! Upgrades a populated database of the previous release: a nullable column
//! added, a table that starts empty, indexes built; no row rewritten.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{instant, table};
use crate::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revisions {
    Table,
    ImportId,
    Registrar,
    Id,
}

#[derive(DeriveIden)]
enum ImportEntries {
    Table,
    ImportId,
    Registrar,
    Filename,
    FirstRevision,
    At,
    Rows,
}

/// The index "My changes" read before this release.
const REGISTRAR_INDEX: &str = "revisions_registrar_idx";

/// An import's id: 43 characters of the URL-safe base64 alphabet. Compared
/// exactly on MySQL/MariaDB too, whose default collation ignores case.
fn import_id(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => column.custom(Alias::new(
            "VARCHAR(43) CHARACTER SET ascii COLLATE ascii_bin",
        )),
        _ => column.string_len(43),
    };
    column
}

/// The log's indexes on `revisions`: its name, the column a filter holds
/// equal (none for the whole log), in the log's order `(at, id)`.
const LOG_INDEXES: [(&str, Option<&str>); 3] = [
    (indexes::REVISIONS_LOG, None),
    (indexes::REVISIONS_LOG_REGISTRAR, Some("registrar")),
    (indexes::REVISIONS_LOG_ACTION, Some("action")),
];

fn create_log_index(backend: DbBackend, name: &str, filter: Option<&str>) -> String {
    match (backend, filter) {
        (DbBackend::MySql, Some(column)) => {
            format!("CREATE INDEX `{name}` ON `revisions` (`import_id`, `{column}`, `at`, `id`)")
        }
        (DbBackend::MySql, None) => {
            format!("CREATE INDEX `{name}` ON `revisions` (`import_id`, `at`, `id`)")
        }
        (_, Some(column)) => format!(
            "CREATE INDEX \"{name}\" ON \"revisions\" (\"{column}\", \"at\", \"id\") \
             WHERE \"import_id\" IS NULL"
        ),
        (_, None) => format!(
            "CREATE INDEX \"{name}\" ON \"revisions\" (\"at\", \"id\") WHERE \"import_id\" IS NULL"
        ),
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
                    .add_column(import_id(backend, Revisions::ImportId).null())
                    .to_owned(),
            )
            .await?;
        for (name, filter) in LOG_INDEXES {
            db.execute_unprepared(&create_log_index(backend, name, filter))
                .await?;
        }
        // An import's rows, in the log's order. On MySQL/MariaDB the log's
        // own index leads with `import_id` and serves them.
        if backend != DbBackend::MySql {
            db.execute_unprepared(&format!(
                "CREATE INDEX \"{}\" ON \"revisions\" (\"import_id\", \"at\", \"id\") \
                 WHERE \"import_id\" IS NOT NULL",
                indexes::REVISIONS_IMPORT
            ))
            .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name(REGISTRAR_INDEX)
                    .table(Revisions::Table)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, ImportEntries::Table)
                    .col(
                        import_id(backend, ImportEntries::ImportId)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ImportEntries::Registrar)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportEntries::Filename)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportEntries::FirstRevision)
                            .big_integer()
                            .not_null(),
                    )
                    .col(instant(backend, ImportEntries::At).not_null())
                    .col(ColumnDef::new(ImportEntries::Rows).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(indexes::IMPORT_ENTRIES_LOG)
                    .table(ImportEntries::Table)
                    .col(ImportEntries::At)
                    .col(ImportEntries::FirstRevision)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(indexes::IMPORT_ENTRIES_REGISTRAR)
                    .table(ImportEntries::Table)
                    .col(ImportEntries::Registrar)
                    .col(ImportEntries::At)
                    .col(ImportEntries::FirstRevision)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .drop_table(Table::drop().table(ImportEntries::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(REGISTRAR_INDEX)
                    .table(Revisions::Table)
                    .col(Revisions::Registrar)
                    .col(Revisions::Id)
                    .to_owned(),
            )
            .await?;
        let mut dropped: Vec<&str> = LOG_INDEXES.iter().map(|(name, _)| *name).collect();
        if backend != DbBackend::MySql {
            dropped.push(indexes::REVISIONS_IMPORT);
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
                    .drop_column(Revisions::ImportId)
                    .to_owned(),
            )
            .await
    }
}
