//! The trigram postings migration (`m20261208_000022_student_trigrams`)
//! upgrades a populated database of the previous release on every backend:
//! afterwards every search finds exactly the live students the rule of
//! §12 finds (on MariaDB from the postings the migration filled from the
//! live students; on SQLite and PostgreSQL, where it does nothing, as
//! before), and down and up again finds the same. Writes after it keep
//! that so through the write core: `search_postings`.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::testing::Backend;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::on_every_backend;
use crate::search_postings::{agrees_in_the_store, searches_of};
use crate::upgrades::{database_before, down_past, insert};

on_every_backend!(the_trigram_migration_upgrades_a_populated_database);

const MIGRATION: &str = "m20261208_000022_student_trigrams";

/// The previous release's students: name, address, deleted. The last two
/// have keys of three characters and fewer (no trigram, or one).
const OLD: &[(&str, &str, bool)] = &[
    ("José García", "3 Calle Mayor, Sevilla", false),
    ("Łukasz Øster", "100% Pure Lane 1_0, Oslo", false),
    ("Алёна Ёлкина", "ул. Тверская 7, Москва", false),
    ("Yusuf Wójcik", "12 Maple St", false),
    ("Grace Wójcik", "9 Low Rd", true),
    ("X", "Y", false),
    ("Q", "", false),
];

async fn the_trigram_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, MIGRATION).await else {
        return;
    };
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap();
    let mut searches: Vec<String> = ["zzqx", "wójcik", "%", "1_0", "x", "q", "st"]
        .iter()
        .map(|q| (*q).to_owned())
        .collect();
    for (name, address, deleted) in OLD {
        let deleted_at: Option<chrono::DateTime<Utc>> = deleted.then_some(at);
        let row: Vec<(&str, Value)> = vec![
            ("name", (*name).into()),
            ("address", (*address).into()),
            ("gpa_hundredths", 300i16.into()),
            ("search_key", fold::search_key(name, address, None).into()),
            ("version", 1i64.into()),
            ("created_at", at.into()),
            ("updated_at", at.into()),
            ("updated_by", "ada".into()),
            ("deleted_at", deleted_at.into()),
        ];
        insert(&db, "students", &row).await;
        searches.extend(searches_of(name, address));
    }
    let live = OLD.iter().filter(|(_, _, deleted)| !deleted).count();
    db.execute_unprepared(&format!("UPDATE student_count SET live = {live}"))
        .await
        .expect("count");
    let name = backend.name();

    Migrator::up(&db, None).await.expect("the upgrade");
    agrees_in_the_store(&db, &searches, &format!("{name}: the upgrade")).await;

    // Down drops MariaDB's postings; up again fills them.
    down_past(&db, MIGRATION).await;
    assert!(!has_postings_table(&db).await, "{name}: down drops them");
    Migrator::up(&db, None).await.expect("up again");
    agrees_in_the_store(&db, &searches, &format!("{name}: down and up")).await;
    db.close().await.expect("close");
}

async fn has_postings_table(db: &DatabaseConnection) -> bool {
    if db.get_database_backend() != DbBackend::MySql {
        return false;
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::MySql,
            "SHOW TABLES LIKE 'student_trigrams'",
        ))
        .await
        .expect("tables");
    !rows.is_empty()
}
