//! The migration that keeps a valid import row's GPA as a number
//! (`import_rows.gpa_hundredths`) upgrades a populated database of the
//! previous release on every backend: the pending upload's valid rows get
//! their number from their canonical text, an invalid row none, and the
//! upload is then confirmed by the new code, which reads the rows' values
//! as they were checked.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::db::entities::import::ImportState;
use registrar::db::entities::import_row;
use registrar::students::import::{job, store as imports};
use registrar::students::store;
use registrar::students::values;
use registrar::testing::Backend;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, insert, old_account, old_revision, old_student};

on_every_backend!(the_import_row_values_migration_upgrades_a_populated_database);

async fn the_import_row_values_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) =
        database_before(backend, "m20261207_000010_import_row_values").await
    else {
        return;
    };
    // The previous release's data: Grace at version 1, an upload waiting
    // for its confirm (an update of Grace, a create), and one with an
    // invalid row.
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap();
    old_account(&db, at, Some("registrar")).await;
    old_student(&db, "2 High St", 390, 1, at).await;
    old_revision(&db, 1, 1, "created", "2 High St", 390, at).await;
    db.execute_unprepared("UPDATE student_count SET live = 1")
        .await
        .expect("count");
    let clean = "c".repeat(43);
    let dirty = "d".repeat(43);
    for (id, rows) in [(&clean, 2_i64), (&dirty, 1)] {
        insert(
            &db,
            "imports",
            &[
                ("id", id.as_str().into()),
                ("registrar", "ada".into()),
                ("filename", "old.csv".into()),
                ("rows", rows.into()),
                ("created_at", at.into()),
                ("state", "pending".into()),
            ],
        )
        .await;
    }
    let row = |import: &str, seq: i64, student: Option<i64>, values: [&str; 3], outcome: &str| {
        let [name, address, gpa] = values.map(|v| sea_orm::Value::from(v.to_owned()));
        vec![
            ("import_id", import.to_owned().into()),
            ("seq", seq.into()),
            ("line", (seq + 2).into()),
            ("student_id", student.into()),
            ("version", student.map(|_| 1_i64).into()),
            ("name", name),
            ("address", address),
            ("gpa", gpa),
            ("outcome", outcome.to_owned().into()),
        ]
    };
    for values in [
        row(&clean, 0, Some(1), ["Grace", "3 New Rd", "3.05"], "update"),
        row(&clean, 1, None, ["Ada", "1 Main St", "4.00"], "create"),
        row(&dirty, 0, None, ["Ada", "1 Main St", "4.5"], "invalid"),
    ] {
        insert(&db, "import_rows", &values).await;
    }

    Migrator::up(&db, None).await.expect("the upgrade");

    let rows = import_row::Entity::find()
        .order_by_asc(import_row::Column::ImportId)
        .order_by_asc(import_row::Column::Seq)
        .all(&db)
        .await
        .expect("rows");
    let numbers: Vec<Option<i16>> = rows.iter().map(|r| r.gpa_hundredths).collect();
    assert_eq!(numbers, [Some(305), Some(400), None], "{}", backend.name());
    let typed: Vec<Option<u16>> = rows
        .iter()
        .map(|r| values::import_row(r).map(|v| v.gpa.hundredths()))
        .collect();
    assert_eq!(typed, [Some(305), Some(400), None]);

    // The new code confirms the upgraded upload from the typed rows.
    let import = imports::get(&db, &clean)
        .await
        .expect("query")
        .expect("the import");
    let lease = job::start(&db, &import, false).await.expect("started");
    job::run(db.clone(), clean.clone(), lease).await;
    let done = imports::get(&db, &clean)
        .await
        .expect("query")
        .expect("the import");
    assert_eq!(
        (done.state, done.written, done.refused),
        (ImportState::Done, 2, 0),
        "{}",
        backend.name()
    );
    let grace = store::find(&db, 1).await.expect("query").expect("student");
    assert_eq!(
        (grace.address.as_str(), grace.gpa_hundredths, grace.version),
        ("3 New Rd", 305, 2)
    );
    let ada = registrar::db::entities::student::Entity::find()
        .filter(registrar::db::entities::student::Column::Name.eq("Ada"))
        .one(&db)
        .await
        .expect("query")
        .expect("created");
    assert_eq!((ada.gpa_hundredths, ada.version), (400, 1));

    // Down and up again: the column goes and comes back filled.
    down_past(&db, "m20261207_000010_import_row_values").await;
    Migrator::up(&db, None).await.expect("up again");
    let again = import_row::Entity::find()
        .filter(import_row::Column::ImportId.eq(&clean))
        .order_by_asc(import_row::Column::Seq)
        .all(&db)
        .await
        .expect("rows");
    assert_eq!(again[0].gpa_hundredths, Some(305));
    db.close().await.expect("close");
}
