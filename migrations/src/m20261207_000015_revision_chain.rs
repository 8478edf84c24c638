//! The tamper-evident history (contract §15).
//!
//! - `revisions.hash`: SHA-256 of the revision's canonical encoding over
//!   the previous revision's hash of the same student ([`chain`]);
//! - `students.chain_head`: the hash of the student's latest revision, so a
//!   save reads the previous hash from the row it already locked;
//! - `audit_digests`: each digest `registrar audit digest` took (its hash,
//!   when, how many chains and revisions it covers), and
//!   `audit_digest_cuts`: its cut, each student's version at that moment.
//!
//! Upgrades a populated database of the previous release: every existing
//! revision is hashed, streamed in `(student_id, version, id)` order a
//! keyset page at a time (memory stays bounded whatever the table holds),
//! each page's hashes written by one joined `UPDATE`; then every student's
//! chain head is set by one statement. Down drops all of it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::ChronoDateTimeUtc;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use crate::columns::{id, instant, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Students {
    Table,
    ChainHead,
}

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Id,
    StudentId,
    Version,
    Action,
    Name,
    StudentNumber,
    Address,
    GpaHundredths,
    Confidential,
    Registrar,
    At,
    Reason,
    Hash,
}

#[derive(DeriveIden)]
enum AuditDigests {
    Table,
    Id,
    Hash,
    TakenAt,
    Students,
    Revisions,
}

#[derive(DeriveIden)]
enum AuditDigestCuts {
    Table,
    DigestId,
    StudentId,
    Version,
}

/// Revisions one page reads and one statement writes.
const PAGE: u64 = 2_000;

fn hash_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(64)
        .not_null()
        .default("")
        .to_owned()
}

/// Where the previous page ended: `(student_id, version, id)`.
type Position = (i64, i64, i64);

/// The page of revisions after `after`, in chain order.
fn page_after(after: Position) -> SelectStatement {
    let (student, version, id) = after;
    Query::select()
        .columns([
            Revisions::Id,
            Revisions::StudentId,
            Revisions::Version,
            Revisions::Action,
            Revisions::Name,
            Revisions::StudentNumber,
            Revisions::Address,
            Revisions::GpaHundredths,
            Revisions::Confidential,
            Revisions::Registrar,
            Revisions::At,
            Revisions::Reason,
        ])
        .from(Revisions::Table)
        .and_where(Expr::col(Revisions::StudentId).gte(student))
        .cond_where(
            Cond::any()
                .add(Expr::col(Revisions::StudentId).gt(student))
                .add(Expr::col(Revisions::Version).gt(version))
                .add(
                    Expr::col(Revisions::Version)
                        .eq(version)
                        .and(Expr::col(Revisions::Id).gt(id)),
                ),
        )
        .order_by(Revisions::StudentId, Order::Asc)
        .order_by(Revisions::Version, Order::Asc)
        .order_by(Revisions::Id, Order::Asc)
        .limit(PAGE)
        .to_owned()
}

/// A row's hash over `previous`, and its position.
fn hash_row(row: &QueryResult, previous: &str) -> Result<(Position, String), DbErr> {
    let get_text = |column: &str| row.try_get::<String>("", column);
    let action = get_text("action")?;
    let name = get_text("name")?;
    let number: Option<String> = row.try_get("", "student_number")?;
    let address = get_text("address")?;
    let registrar = get_text("registrar")?;
    let reason: Option<String> = row.try_get("", "reason")?;
    let revision = chain::Revision {
        student_id: row.try_get("", "student_id")?,
        version: row.try_get("", "version")?,
        action: &action,
        name: &name,
        student_number: number.as_deref(),
        address: &address,
        gpa_hundredths: row.try_get("", "gpa_hundredths")?,
        confidential: row.try_get("", "confidential")?,
        registrar: &registrar,
        at: row.try_get::<ChronoDateTimeUtc>("", "at")?,
        reason: reason.as_deref(),
    };
    let position = (
        revision.student_id,
        revision.version,
        row.try_get("", "id")?,
    );
    Ok((position, revision.hash(previous)))
}

/// One statement writing each `(id, hash)` to its revision.
fn write_hashes(backend: DbBackend, hashes: &[(i64, String)]) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(hashes.len() * 2);
    let mut rows = Vec::with_capacity(hashes.len());
    for (i, (id, hash)) in hashes.iter().enumerate() {
        values.push((*id).into());
        values.push(hash.clone().into());
        rows.push(match backend {
            DbBackend::Postgres => format!("(${}::bigint, ${}::text)", 2 * i + 1, 2 * i + 2),
            DbBackend::MySql if i == 0 => "SELECT ? AS id, ? AS hash".to_owned(),
            DbBackend::MySql => "SELECT ?, ?".to_owned(),
            _ => "(?, ?)".to_owned(),
        });
    }
    let sql = match backend {
        DbBackend::MySql => format!(
            "UPDATE revisions JOIN ({}) AS v ON revisions.id = v.id SET revisions.hash = v.hash",
            rows.join(" UNION ALL ")
        ),
        _ => format!(
            "WITH v (id, hash) AS (VALUES {}) UPDATE revisions SET hash = v.hash \
             FROM v WHERE revisions.id = v.id",
            rows.join(", ")
        ),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Hashes every revision, each chain from [`chain::GENESIS`].
async fn hash_revisions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut after: Position = (i64::MIN, i64::MIN, i64::MIN);
    let mut previous = (i64::MIN, chain::GENESIS.to_owned());
    loop {
        let rows = db.query_all(&page_after(after)).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut hashes = Vec::with_capacity(rows.len());
        for row in &rows {
            let student: i64 = row.try_get("", "student_id")?;
            let before = match previous.0 == student {
                true => previous.1.as_str(),
                false => chain::GENESIS,
            };
            let (position, hash) = hash_row(row, before)?;
            after = position;
            hashes.push((position.2, hash.clone()));
            previous = (student, hash);
        }
        db.execute_raw(write_hashes(backend, &hashes)).await?;
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (table, column) in [
            (Revisions::Table.into_iden(), Revisions::Hash.into_iden()),
            (Students::Table.into_iden(), Students::ChainHead.into_iden()),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(hash_column(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                table(backend, AuditDigests::Table)
                    .col(id(AuditDigests::Id))
                    .col(ColumnDef::new(AuditDigests::Hash).string_len(64).not_null())
                    .col(instant(backend, AuditDigests::TakenAt).not_null())
                    .col(
                        ColumnDef::new(AuditDigests::Students)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditDigests::Revisions)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_digests_hash_idx")
                    .table(AuditDigests::Table)
                    .col(AuditDigests::Hash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, AuditDigestCuts::Table)
                    .col(
                        ColumnDef::new(AuditDigestCuts::DigestId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditDigestCuts::StudentId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditDigestCuts::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AuditDigestCuts::DigestId)
                            .col(AuditDigestCuts::StudentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("audit_digest_cuts_digest_fk")
                            .from(AuditDigestCuts::Table, AuditDigestCuts::DigestId)
                            .to(AuditDigests::Table, AuditDigests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        hash_revisions(manager).await?;
        // Each student's head: the hash of the revision at its version.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE students SET chain_head = COALESCE((SELECT r.hash FROM revisions r \
                 WHERE r.student_id = students.id AND r.version = students.version), '')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditDigestCuts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuditDigests::Table).to_owned())
            .await?;
        for (table, column) in [
            (Revisions::Table.into_iden(), Revisions::Hash.into_iden()),
            (Students::Table.into_iden(), Students::ChainHead.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
