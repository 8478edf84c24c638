//! Column and table definitions whose SQL differs per backend.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A UTC instant with microsecond precision.
///
/// PostgreSQL: `timestamptz`. MySQL/MariaDB: `DATETIME(6)`, written and read
/// in UTC (sqlx sets the session time zone to `+00:00`); its `TIMESTAMP`
/// would stop at 2038 and follow the session time zone. SQLite: RFC 3339 text.
pub fn instant(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => column.custom(Alias::new("DATETIME(6)")),
        _ => column.timestamp_with_time_zone(),
    };
    column
}

/// Free text whose length the application bounds (conflict entries keep
/// what a registrar typed, whatever it was).
pub fn text(name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    column.text();
    column
}

/// Table options: MySQL/MariaDB tables are InnoDB with full Unicode
/// (`utf8mb4`); the other backends take no options.
pub fn table(backend: DbBackend, name: impl IntoIden) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name);
    if backend == DbBackend::MySql {
        table
            .engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_unicode_ci");
    }
    table
}

/// A 64-bit id the database assigns, never reused.
pub fn id(name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    column
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key();
    column
}

/// The lower-cased search key, compared by code points on every backend:
/// MySQL/MariaDB would otherwise compare by the table's collation, case-
/// and accent-blind.
pub fn search_key(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => column.custom(Alias::new(
            "VARCHAR(400) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        )),
        _ => column.string_len(400),
    };
    column
}
