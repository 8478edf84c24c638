//! Inserting many students at once (demo data): multi-row
//! inserts with ids reserved up front, each student with its version-1
//! revision, the live count moved once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use super::Action;
use crate::db::entities::student::gpa_column;
use crate::db::entities::{revision, student};
use crate::domain::StudentFields;

/// Rows per INSERT statement: 11 values a row stays well under every
/// backend's limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Inserts `rows` as new students at version 1, each with a revision of
/// `action` by `registrar`, in `txn`. Returns the new ids, in order.
pub async fn insert(
    txn: &DatabaseTransaction,
    rows: &[StudentFields],
    registrar: &str,
    action: Action,
    at: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = reserve_ids(txn, rows.len()).await?;
    for (chunk, chunk_ids) in rows
        .chunks(ROWS_PER_STATEMENT)
        .zip(ids.chunks(ROWS_PER_STATEMENT))
    {
        let mut students = Query::insert();
        students.into_table(student::Entity).columns([
            student::Column::Id,
            student::Column::Name,
            student::Column::Address,
            student::Column::GpaHundredths,
            student::Column::SearchKey,
            student::Column::Version,
            student::Column::CreatedAt,
            student::Column::UpdatedAt,
            student::Column::UpdatedBy,
        ]);
        let mut revisions = Query::insert();
        revisions.into_table(revision::Entity).columns([
            revision::Column::StudentId,
            revision::Column::Version,
            revision::Column::Action,
            revision::Column::Name,
            revision::Column::Address,
            revision::Column::GpaHundredths,
            revision::Column::Registrar,
            revision::Column::At,
        ]);
        for (fields, id) in chunk.iter().zip(chunk_ids) {
            let gpa = gpa_column(fields.gpa);
            let name = fields.name.to_string();
            let address = fields.address.to_string();
            let values: [SimpleExpr; 9] = [
                (*id).into(),
                name.clone().into(),
                address.clone().into(),
                gpa.into(),
                fields.search_key().into(),
                1_i64.into(),
                at.into(),
                at.into(),
                registrar.into(),
            ];
            students.values_panic(values);
            let values: [SimpleExpr; 8] = [
                (*id).into(),
                1_i64.into(),
                action.into(),
                name.into(),
                address.into(),
                gpa.into(),
                registrar.into(),
                at.into(),
            ];
            revisions.values_panic(values);
        }
        txn.execute(&students).await?;
        txn.execute(&revisions).await?;
    }
    super::adjust_live_count(txn, rows.len() as i64).await?;
    Ok(ids)
}

/// Ids no other student has or will get. PostgreSQL: taken from the id
/// sequence, as single inserts take theirs. MySQL/MariaDB and SQLite: the
/// ones after the highest, with the last row locked (MySQL's next-key lock
/// holds back concurrent inserts until commit; SQLite's write transaction
/// already excludes every other writer).
async fn reserve_ids(txn: &DatabaseTransaction, count: usize) -> Result<Vec<i64>, DbErr> {
    let backend = txn.get_database_backend();
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    if backend == DbBackend::Postgres {
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval(pg_get_serial_sequence('students', 'id')) AS id FROM generate_series(1, $1)",
                [count.into()],
            ))
            .await?;
        return rows
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect();
    }
    let sql = match backend {
        DbBackend::MySql => "SELECT id FROM students ORDER BY id DESC LIMIT 1 FOR UPDATE",
        _ => "SELECT id FROM students ORDER BY id DESC LIMIT 1",
    };
    let highest = txn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .map(|row| row.try_get::<i64>("", "id"))
        .transpose()?
        .unwrap_or(0);
    Ok((highest + 1..=highest + count).collect())
}
