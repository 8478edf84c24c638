//! Student numbers, and search keys folded as contract §12 says.
//!
//! `student_number` (1–20 ASCII letters, digits and `-`, stored upper-cased;
//! `NULL`: none) is added to `students` with a unique index (deleted
//! students keep theirs, so a number is never given twice), and beside the
//! other values in `revisions`, `conflicts` (as sent: `''` for a blank
//! field, `NULL` when not sent or refused by its rule) and `import_rows`
//! (`NULL`: the file had no such column, so the row leaves the number as
//! it is; `''`: none).
//!
//! The search key becomes the folded name, address and number
//! ([`fold::search_key`]), computed in Rust, so every student's key is
//! written again, a batch of ids at a time with one `UPDATE … CASE` each
//! (the search table's and FTS5 index's triggers follow). Upgrades a
//! populated database of the previous release; students of earlier
//! releases have no number.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The unique index that keeps numbers unique; its name is in the
/// database's message when a second student is given one.
pub const UNIQUE_INDEX: &str = "students_student_number_key";

#[derive(DeriveIden)]
enum Students {
    Table,
    Id,
    Name,
    Address,
    SearchKey,
    StudentNumber,
}

#[derive(DeriveIden)]
enum Revisions {
    Table,
}

#[derive(DeriveIden)]
enum Conflicts {
    Table,
}

#[derive(DeriveIden)]
enum ImportRows {
    Table,
}

/// Students whose keys one statement writes.
const REKEY_BATCH: u64 = 500;

fn number_column() -> ColumnDef {
    ColumnDef::new(Students::StudentNumber)
        .string_len(20)
        .null()
        .to_owned()
}

async fn add_number(manager: &SchemaManager<'_>, table: impl IntoIden) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(number_column())
                .to_owned(),
        )
        .await
}

async fn drop_number(manager: &SchemaManager<'_>, table: impl IntoIden) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .drop_column(Students::StudentNumber)
                .to_owned(),
        )
        .await
}

/// Writes every student's search key again with `key`, in id order.
async fn rekey(
    manager: &SchemaManager<'_>,
    key: impl Fn(&str, &str, Option<&str>) -> String,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let mut after = 0_i64;
    loop {
        let select = Query::select()
            .columns([
                Students::Id,
                Students::Name,
                Students::Address,
                Students::SearchKey,
                Students::StudentNumber,
            ])
            .from(Students::Table)
            .and_where(Expr::col(Students::Id).gt(after))
            .order_by(Students::Id, Order::Asc)
            .limit(REKEY_BATCH)
            .to_owned();
        let rows = db.query_all(&select).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("", "id")?;
        let mut changed = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let address: String = row.try_get("", "address")?;
            let number: Option<String> = row.try_get("", "student_number")?;
            let stored: String = row.try_get("", "search_key")?;
            let folded = key(&name, &address, number.as_deref());
            if folded != stored {
                changed.push((id, folded));
            }
        }
        if changed.is_empty() {
            continue;
        }
        let mut case = CaseStatement::new();
        for (id, folded) in &changed {
            case = case.case(Expr::col(Students::Id).eq(*id), Expr::val(folded.as_str()));
        }
        let update = Query::update()
            .table(Students::Table)
            .value(Students::SearchKey, case)
            .and_where(Expr::col(Students::Id).is_in(changed.iter().map(|(id, _)| *id)))
            .to_owned();
        db.execute(&update).await?;
    }
}

/// The key as the previous release wrote it: the name and address
/// lower-cased, a line each.
fn lowered_key(name: &str, address: &str, _number: Option<&str>) -> String {
    format!("{}\n{}", name.to_lowercase(), address.to_lowercase())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_number(manager, Students::Table).await?;
        manager
            .create_index(
                Index::create()
                    .name(UNIQUE_INDEX)
                    .table(Students::Table)
                    .col(Students::StudentNumber)
                    .unique()
                    .to_owned(),
            )
            .await?;
        add_number(manager, Revisions::Table).await?;
        add_number(manager, Conflicts::Table).await?;
        add_number(manager, ImportRows::Table).await?;
        rekey(manager, fold::search_key).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rekey(manager, lowered_key).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(UNIQUE_INDEX)
                    .table(Students::Table)
                    .to_owned(),
            )
            .await?;
        drop_number(manager, Students::Table).await?;
        drop_number(manager, Revisions::Table).await?;
        drop_number(manager, Conflicts::Table).await?;
        drop_number(manager, ImportRows::Table).await
    }
}
