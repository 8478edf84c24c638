//! Writing many students at once: inserts (demo data, an import's
//! creates) as multi-row statements with ids reserved up front, each
//! student with its version-1 revision and (MariaDB) its search postings,
//! the live count moved once; and an import's guarded updates, a few
//! hundred rows to a statement.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use super::columns::{self, Columns};
use super::count::adjust_live_count;
use super::postings::{self, Repost};
use super::rows::{Action, Author, Student};
use crate::db::entities::{revision, student};
use crate::db::joined::{JoinedUpdate, Typed};
use crate::domain::StudentValues;

/// Rows per INSERT statement: 12 values a row stays well under every
/// backend's limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Inserts `rows` as new students at version 1, each with a revision of
/// `action` by `registrar`, in `txn`. Returns the new ids, in order.
pub async fn insert(
    txn: &DatabaseTransaction,
    rows: &[StudentValues],
    registrar: &str,
    action: Action,
    at: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = reserve_ids(txn, rows.len()).await?;
    let keep_postings = postings::kept(txn.get_database_backend());
    for (chunk, chunk_ids) in rows
        .chunks(ROWS_PER_STATEMENT)
        .zip(ids.chunks(ROWS_PER_STATEMENT))
    {
        let mut students = Query::insert();
        students.into_table(student::Entity).columns(
            [
                student::Column::Id,
                student::Column::Version,
                student::Column::CreatedAt,
                student::Column::UpdatedAt,
                student::Column::UpdatedBy,
                student::Column::ChainHead,
            ]
            .into_iter()
            .chain(columns::STUDENT),
        );
        let mut revisions = Query::insert();
        revisions.into_table(revision::Entity).columns(
            [
                revision::Column::StudentId,
                revision::Column::Version,
                revision::Column::Action,
                revision::Column::Registrar,
                revision::Column::At,
                revision::Column::Hash,
            ]
            .into_iter()
            .chain(columns::REVISION),
        );
        let mut keys: Vec<(i64, String)> = Vec::new();
        for (fields, id) in chunk.iter().zip(chunk_ids) {
            let values = Columns::of(fields);
            if keep_postings {
                keys.push((*id, values.search_key().to_owned()));
            }
            let hash = first_hash(&values, *id, registrar, action, at);
            let head: [SimpleExpr; 6] = [
                (*id).into(),
                1_i64.into(),
                at.into(),
                at.into(),
                registrar.into(),
                hash.clone().into(),
            ];
            students.values_panic(head.into_iter().chain(values.student_values()));
            let head: [SimpleExpr; 6] = [
                (*id).into(),
                1_i64.into(),
                action.into(),
                registrar.into(),
                at.into(),
                hash.into(),
            ];
            revisions.values_panic(head.into_iter().chain(values.revision_values()));
        }
        txn.execute(&students).await?;
        txn.execute(&revisions).await?;
        let reposts: Vec<Repost> = keys
            .iter()
            .map(|(id, key)| Repost {
                id: *id,
                before: None,
                after: Some(key),
            })
            .collect();
        postings::repost(txn, &reposts).await?;
    }
    adjust_live_count(txn, rows.len() as i64).await?;
    Ok(ids)
}

/// The hash of the version-1 revision of student `id` with `values`, as
/// [`super::revisions::chained`] computes it from the row the insert writes
/// (every other column at its default).
fn first_hash(
    values: &Columns,
    id: i64,
    registrar: &str,
    action: Action,
    at: DateTime<Utc>,
) -> String {
    let student = values.clone().onto(Student {
        id,
        name: String::new(),
        address: String::new(),
        gpa_hundredths: 0,
        search_key: String::new(),
        student_number: None,
        confidential: false,
        version: 1,
        chain_head: String::new(),
        created_at: at,
        updated_at: at,
        updated_by: registrar.to_owned(),
        deleted_at: None,
        deleted_by: None,
    });
    super::revisions::chained(student, action, None, chain::GENESIS).chain_head
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

/// Rows per statement of [`update`]: 9 values a row.
pub const UPDATES_PER_STATEMENT: usize = 500;

/// Writes each `(current, fields)` as version `current.version + 1` by the
/// author, with the chain head of its `after` (the same row, chained: see
/// [`super::revisions::chained`]), guarded row by row exactly as a single
/// save is: a row is written only where `id = current.id AND version =
/// current.version` and it is not deleted. Returns the ids written. At
/// most [`UPDATES_PER_STATEMENT`] rows; the caller holds their locks and
/// writes their revisions.
///
/// PostgreSQL and SQLite return the rows written. MariaDB has no
/// `RETURNING` on an update: when it changed fewer rows than it was given,
/// the versions are read back (under the caller's locks a version one past
/// `current.version` is this statement's).
pub async fn update(
    txn: &DatabaseTransaction,
    rows: &[(&Student, &StudentValues)],
    after: &[Student],
    author: &Author<'_>,
) -> Result<HashSet<i64>, DbErr> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let backend = txn.get_database_backend();
    let values = rows.iter().zip(after).map(|((current, fields), after)| {
        let head: [Typed; 3] = [
            (current.id.into(), "bigint"),
            (current.version.into(), "bigint"),
            (after.chain_head.clone().into(), "text"),
        ];
        head.into_iter().chain(Columns::of(fields).typed())
    });
    let mut statement = JoinedUpdate::new(
        backend,
        "students",
        &[
            ["id", "version", "chain_head"].as_slice(),
            &columns::STUDENT_NAMES,
        ]
        .concat(),
        values,
        "students.id = v.id AND students.version = v.version",
    );
    for name in ["chain_head"].into_iter().chain(columns::STUDENT_NAMES) {
        statement = statement.set(name, &format!("v.{name}"));
    }
    let statement = statement
        .set("version", "students.version + 1")
        .set_value("updated_at", author.at.into())
        .set_value("updated_by", author.registrar.into())
        .filter("students.deleted_at IS NULL")
        .build(Some("students.id"));
    if backend == DbBackend::MySql {
        let changed = txn.execute_raw(statement).await?.rows_affected();
        if changed == rows.len() as u64 {
            return Ok(rows.iter().map(|(current, _)| current.id).collect());
        }
        return written_by_version(txn, rows).await;
    }
    txn.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect()
}

/// The ids of `rows` now one version past the one they were read at.
async fn written_by_version(
    txn: &DatabaseTransaction,
    rows: &[(&Student, &StudentValues)],
) -> Result<HashSet<i64>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let now: Vec<(i64, i64)> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .column(student::Column::Version)
        .filter(student::Column::Id.is_in(rows.iter().map(|(current, _)| current.id)))
        .into_tuple()
        .all(txn)
        .await?;
    let read_at: std::collections::HashMap<i64, i64> = rows
        .iter()
        .map(|(current, _)| (current.id, current.version))
        .collect();
    Ok(now
        .into_iter()
        .filter(|(id, version)| read_at.get(id).is_some_and(|read| read + 1 == *version))
        .map(|(id, _)| id)
        .collect())
}
