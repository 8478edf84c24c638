//! An `UPDATE` of many rows at once, each with its own values: the values
//! are a table of their own (`v`) joined to the target, so a few hundred
//! rows take one statement and one round trip.
//!
//! - PostgreSQL and SQLite: `WITH v (…) AS (VALUES (…), …) UPDATE t SET …
//!   FROM v WHERE … [RETURNING …]`;
//! - MySQL/MariaDB: `UPDATE t JOIN (SELECT … UNION ALL SELECT …) AS v ON …
//!   SET … WHERE …` (no `RETURNING` on an update there).
//!
//! Conditions and assignments name the target by its table name and the
//! values as `v.column`. On PostgreSQL each value is typed by its cast (a
//! value in `VALUES` has no column to take its type from).

use std::fmt::Write as _;

use sea_orm::{DbBackend, Statement, Value};

/// A value of a joined row and its PostgreSQL type (`bigint`, `text`, …).
pub type Typed = (Value, &'static str);

pub struct JoinedUpdate {
    backend: DbBackend,
    table: &'static str,
    on: String,
    sql: String,
    values: Vec<Value>,
    assignments: usize,
    filters: Vec<(String, Option<Value>)>,
}

impl JoinedUpdate {
    /// `UPDATE table` joined with `rows` (each one value per `columns`) on
    /// `on`; call [`JoinedUpdate::set`] next.
    pub fn new<R>(
        backend: DbBackend,
        table: &'static str,
        columns: &[&str],
        rows: impl IntoIterator<Item = R>,
        on: &str,
    ) -> JoinedUpdate
    where
        R: IntoIterator<Item = Typed>,
    {
        let mut update = JoinedUpdate {
            backend,
            table,
            on: on.to_owned(),
            sql: String::with_capacity(4096),
            values: Vec::new(),
            assignments: 0,
            filters: Vec::new(),
        };
        let mysql = backend == DbBackend::MySql;
        if mysql {
            let _ = write!(update.sql, "UPDATE {table} JOIN (");
        } else {
            let _ = write!(update.sql, "WITH v ({}) AS (VALUES ", columns.join(", "));
        }
        for (i, row) in rows.into_iter().enumerate() {
            update.sql.push_str(match (mysql, i) {
                (true, 0) => "SELECT ",
                (true, _) => " UNION ALL SELECT ",
                (false, 0) => "(",
                (false, _) => ", (",
            });
            for (j, (value, cast)) in row.into_iter().enumerate() {
                if j > 0 {
                    update.sql.push_str(", ");
                }
                update.param(value, cast);
                if mysql && i == 0 {
                    let _ = write!(update.sql, " AS {}", columns[j]);
                }
            }
            if !mysql {
                update.sql.push(')');
            }
        }
        if mysql {
            let _ = write!(update.sql, ") AS v ON {} SET ", update.on);
        } else {
            let _ = write!(update.sql, ") UPDATE {table} SET ");
        }
        update
    }

    /// `column = to`, `to` an expression of the target's and `v`'s columns.
    pub fn set(mut self, column: &str, to: &str) -> Self {
        self.assignment(column);
        self.sql.push_str(to);
        self
    }

    /// `column = value`, the same value for every row.
    pub fn set_value(mut self, column: &str, value: Value) -> Self {
        self.assignment(column);
        self.param(value, "");
        self
    }

    /// Only where `condition` also holds.
    pub fn filter(mut self, condition: &str) -> Self {
        self.filters.push((condition.to_owned(), None));
        self
    }

    /// Only where `column` (of the target, by its table) equals `value`.
    pub fn filter_eq(mut self, column: &str, value: Value) -> Self {
        self.filters
            .push((format!("{}.{column} = ", self.table), Some(value)));
        self
    }

    /// The statement; `returning` (PostgreSQL and SQLite only) names what
    /// each updated row answers.
    pub fn build(mut self, returning: Option<&str>) -> Statement {
        let mysql = self.backend == DbBackend::MySql;
        let mut conditions = std::mem::take(&mut self.filters);
        if !mysql {
            self.sql.push_str(" FROM v");
            conditions.insert(0, (self.on.clone(), None));
        }
        // Placeholders in the order they appear: the values, the
        // assignments, then these.
        for (i, (condition, value)) in conditions.into_iter().enumerate() {
            self.sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            self.sql.push_str(&condition);
            if let Some(value) = value {
                self.param(value, "");
            }
        }
        if let (Some(returning), false) = (returning, mysql) {
            let _ = write!(self.sql, " RETURNING {returning}");
        }
        Statement::from_sql_and_values(self.backend, self.sql, self.values)
    }

    fn assignment(&mut self, column: &str) {
        if self.assignments > 0 {
            self.sql.push_str(", ");
        }
        self.assignments += 1;
        // MySQL's joined update names the target's columns by its table.
        if self.backend == DbBackend::MySql {
            let _ = write!(self.sql, "{}.{column} = ", self.table);
        } else {
            let _ = write!(self.sql, "{column} = ");
        }
    }

    /// A placeholder for `value`, typed as `cast` on PostgreSQL (unless
    /// empty: an assignment takes its column's type).
    fn param(&mut self, value: Value, cast: &str) {
        self.values.push(value);
        match self.backend {
            DbBackend::Postgres if cast.is_empty() => {
                let _ = write!(self.sql, "${}", self.values.len());
            }
            DbBackend::Postgres => {
                let _ = write!(self.sql, "${}::{cast}", self.values.len());
            }
            _ => self.sql.push('?'),
        }
    }
}
