//! The live-search migration (`m20261208_000023_live_search_sqlite`)
//! upgrades a populated database of the previous release on every backend:
//! SQLite's search index drops the students deleted before it, so a search's
//! total (counted there alone when every word has a trigram) counts the
//! live ones only; deleting, undeleting, renaming and purging keep it so;
//! down puts the deleted ones back in the index, and up again takes them
//! out. PostgreSQL and MariaDB answer the same through their own paths.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::domain::Disclosure;
use registrar::students::list::db::list;
use registrar::students::list::query::ListQuery;
use registrar::testing::Backend;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use crate::on_every_backend;
use crate::search_postings::repost_all;
use crate::upgrades::{database_before, down_past, old_account, old_student};

on_every_backend!(the_live_search_migration_upgrades_a_populated_database);

const NAME: &str = "m20261208_000023_live_search_sqlite";

/// The total and the rows a search for `q` finds, as the list counts them.
async fn found(db: &DatabaseConnection, q: &str) -> (u64, usize) {
    let query = ListQuery {
        q: q.to_owned(),
        ..ListQuery::default()
    };
    let rows = list(db, &query, Disclosure::Full).await.expect("a search");
    (rows.total.count, rows.students.len())
}

/// SQLite: the students the index holds for `word`; elsewhere nothing.
async fn indexed(db: &DatabaseConnection, word: &str) -> Option<i64> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "SELECT count(*) FROM students_search WHERE students_search MATCH '\"{word}\"'"
            ),
        ))
        .await
        .expect("the index")
        .expect("a count");
    Some(row.try_get_by_index(0).expect("a number"))
}

/// Writes `sql` straight to the tables; on MariaDB, posts the keys as the
/// write core would (this migration comes after the postings').
async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
    repost_all(db).await;
}

async fn the_live_search_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, NAME).await else {
        return;
    };
    let sqlite = backend == Backend::Sqlite;
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
    old_account(&db, at, Some("admin")).await;
    for address in ["1 Maple Row", "2 Maple Row", "3 Maple Row"] {
        old_student(&db, address, 300, 1, at).await;
    }
    // One deleted before the upgrade: the old index still holds it.
    execute(
        &db,
        "UPDATE students SET deleted_at = updated_at WHERE address = '3 Maple Row'",
    )
    .await;
    assert_eq!(indexed(&db, "maple").await, sqlite.then_some(3));

    Migrator::up(&db, None).await.expect("the upgrade");
    assert_eq!(indexed(&db, "maple").await, sqlite.then_some(2));
    assert_eq!(found(&db, "maple").await, (2, 2));
    assert_eq!(found(&db, "grace").await, (2, 2));
    // A short word is checked on the rows: the same answer.
    assert_eq!(found(&db, "ma row").await, (2, 2));

    // Deleted: out; undeleted: back; renamed: found by the new key only.
    execute(
        &db,
        "UPDATE students SET deleted_at = updated_at WHERE address = '1 Maple Row'",
    )
    .await;
    assert_eq!(found(&db, "maple").await, (1, 1));
    execute(
        &db,
        "UPDATE students SET deleted_at = NULL WHERE address = '3 Maple Row'",
    )
    .await;
    assert_eq!(found(&db, "maple").await, (2, 2));
    execute(
        &db,
        "UPDATE students SET address = '3 Birch Row', search_key = 'grace\n3 birch row' \
         WHERE address = '3 Maple Row'",
    )
    .await;
    assert_eq!(found(&db, "maple").await, (1, 1));
    assert_eq!(found(&db, "birch").await, (1, 1));
    // A deleted student renamed stays out; purged, nothing is left of it.
    execute(
        &db,
        "UPDATE students SET address = '1 Cedar Row', search_key = 'grace\n1 cedar row' \
         WHERE address = '1 Maple Row'",
    )
    .await;
    assert_eq!(found(&db, "cedar").await, (0, 0));
    assert_eq!(indexed(&db, "cedar").await, sqlite.then_some(0));
    execute(&db, "DELETE FROM students WHERE address = '1 Cedar Row'").await;
    assert_eq!(found(&db, "grace").await, (2, 2));
    assert_eq!(indexed(&db, "grace").await, sqlite.then_some(2));
    // A new student is in; one deleted and purged is not.
    old_student(&db, "4 Maple Row", 300, 1, at).await;
    repost_all(&db).await;
    assert_eq!(found(&db, "maple").await, (2, 2));

    // Down: the deleted are back in the index (none is deleted now but
    // one, made so here); up again takes it out.
    execute(
        &db,
        "UPDATE students SET deleted_at = updated_at WHERE address = '4 Maple Row'",
    )
    .await;
    down_past(&db, NAME).await;
    assert_eq!(indexed(&db, "maple").await, sqlite.then_some(2));
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(indexed(&db, "maple").await, sqlite.then_some(1));
    assert_eq!(found(&db, "maple").await, (1, 1));
}
