//! A save in fewer round trips, where the backend can say it in fewer
//! statements (contract §16). Each function here does what the portable
//! statements of [`super`] and [`crate::auth::writer`] do, with the same
//! guard and in the same transaction; only the number of messages differs.
//!
//! - [`lock_with_writer`] (PostgreSQL, SQLite): the student's row lock and
//!   the writer's account in one statement. On PostgreSQL
//!   `FOR UPDATE OF` the student and `FOR SHARE OF` the account, as the two
//!   statements took them; on SQLite the `IMMEDIATE` transaction already
//!   holds the database's write lock.
//! - [`update_clearing`] (PostgreSQL): the guarded update, its revision and
//!   the writer's presence mark cleared, as one data-modifying `WITH`: the
//!   revision is inserted and the mark cleared only when the guard matched.
//!
//! MariaDB has neither `FOR … OF` nor data-modifying `WITH`: its saves
//! send each statement alone.

use std::sync::OnceLock;

use sea_orm::sea_query::{Alias, CommonTableExpression, Expr, Query, WithClause};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter, QueryTrait, Statement,
};

use super::columns::Columns;
use super::revisions;
use super::rows::{Action, Author, Student};
use crate::db::entities::{presence, registrar, revision, student};
use crate::domain::StudentValues;

/// What one statement found: the student (locked) and the writer's
/// account (share-locked), when both exist. `None` when either is missing
/// (the caller asks again, one at a time, to say which).
pub async fn lock_with_writer(
    txn: &DatabaseTransaction,
    id: i64,
    username: &str,
) -> Result<Option<(Student, registrar::Model)>, DbErr> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            static SQL: OnceLock<String> = OnceLock::new();
            SQL.get_or_init(|| {
                joined_lock_sql("$1", "$2", r#" FOR UPDATE OF "s" FOR SHARE OF "r""#)
            })
        }
        DbBackend::Sqlite => {
            static SQL: OnceLock<String> = OnceLock::new();
            SQL.get_or_init(|| joined_lock_sql("?", "?", ""))
        }
        _ => unreachable!("lock_with_writer is for PostgreSQL and SQLite"),
    };
    let statement = Statement::from_sql_and_values(
        backend,
        sql.as_str(),
        [id.into(), username.to_ascii_lowercase().into()],
    );
    let Some(row) = txn.query_one_raw(statement).await? else {
        return Ok(None);
    };
    Ok(Some((
        student::Model::from_query_result(&row, "s_")?,
        registrar::Model::from_query_result(&row, "r_")?,
    )))
}

/// Whether [`lock_with_writer`] serves `backend`.
pub fn locks_with_writer(backend: DbBackend) -> bool {
    matches!(backend, DbBackend::Postgres | DbBackend::Sqlite)
}

/// Whether [`update_clearing`] serves `backend`.
pub fn updates_clearing(backend: DbBackend) -> bool {
    backend == DbBackend::Postgres
}

/// `SELECT s.… AS s_…, r.… AS r_… FROM students s JOIN registrars r ON
/// r.username_key = ? WHERE s.id = ?` and the locking clause.
fn joined_lock_sql(id: &str, key: &str, locking: &str) -> String {
    let columns = |alias: &str, names: Vec<&'static str>| {
        names
            .into_iter()
            .map(|name| format!(r#""{alias}"."{name}" AS "{alias}_{name}""#))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let students = columns("s", student::Column::iter().map(|c| c.as_str()).collect());
    let accounts = columns("r", registrar::Column::iter().map(|c| c.as_str()).collect());
    format!(
        r#"SELECT {students}, {accounts} FROM "students" AS "s" INNER JOIN "registrars" AS "r" ON "r"."username_key" = {key} WHERE "s"."id" = {id}{locking}"#
    )
}

/// [`super::update_guarded`], with `registrar_id`'s presence mark on the
/// student cleared when the guard matched, in one statement (PostgreSQL).
pub async fn update_clearing(
    txn: &DatabaseTransaction,
    current: &Student,
    fields: &StudentValues,
    action: Action,
    author: &Author<'_>,
    registrar_id: i64,
) -> Result<Option<Student>, DbErr> {
    let columns = Columns::of(fields);
    let after = columns.clone().onto(super::next_version(current, author));
    let after = revisions::chained(after, action, author.reason, &current.chain_head);
    let written_name = Alias::new("written");
    let written = || {
        Query::select()
            .expr(Expr::val(1))
            .from(written_name.clone())
            .to_owned()
    };

    let mut update = columns
        .update(super::guarded(current, &after))
        .filter(student::Column::DeletedAt.is_null())
        .into_query();
    update.returning_col(student::Column::Id);

    let model = revisions::model(&after, action, author.reason, author);
    let (names, values): (Vec<_>, Vec<_>) = revision::Column::iter()
        .filter_map(|column| model.get(column).into_value().map(|value| (column, value)))
        .unzip();
    let mut record = Query::insert();
    record
        .into_table(revision::Entity)
        .columns(names)
        .select_from(
            Query::select()
                .exprs(values.into_iter().map(Expr::val))
                .from(written_name.clone())
                .to_owned(),
        )
        .map_err(|err| DbErr::Custom(format!("the revision's statement: {err}")))?;

    let clear = presence::Entity::delete_many()
        .filter(presence::Column::RegistrarId.eq(registrar_id))
        .filter(presence::Column::StudentId.eq(current.id))
        .filter(Expr::exists(written()))
        .into_query();

    let statement = WithClause::new()
        .cte(cte(&written_name, update))
        .cte(cte(&Alias::new("recorded"), record))
        .cte(cte(&Alias::new("cleared"), clear))
        .to_owned()
        .query(written());
    let found = txn
        .query_one_raw(txn.get_database_backend().build(&statement))
        .await?;
    Ok(found.map(|_| after))
}

fn cte(
    name: &Alias,
    query: impl Into<sea_orm::sea_query::SubQueryStatement>,
) -> CommonTableExpression {
    CommonTableExpression::new()
        .table_name(name.clone())
        .query(query)
        .to_owned()
}
