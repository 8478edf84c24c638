//! The change log's migration (`revisions.import_id`, `import_entries`,
//! the log's indexes) upgrades a populated database of the previous release
//! on every backend: the old revisions show in the log as they were (an
//! import's rows of before, one entry each), an upload waiting for its
//! confirm is confirmed by the new code as one entry that opens its rows,
//! and down and up again keeps every revision.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::db::entities::import::ImportState;
use registrar::db::entities::revision;
use registrar::students::changes::db::{self as log, Row, Scope};
use registrar::students::import::{job, store as imports};
use registrar::students::store::Action;
use registrar::testing::Backend;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QuerySelect};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, insert, old_account, old_revision, old_student};

on_every_backend!(the_change_log_migration_upgrades_a_populated_database);

/// The log's entries in `scope`, newest first: `(action, version)` of a
/// revision, `(imported, rows)` of an import's entry.
async fn read(db: &DatabaseConnection, scope: &Scope) -> Vec<(Action, i64)> {
    log::rows(db, scope, None, 50)
        .await
        .expect("the log")
        .into_iter()
        .map(|row| match row {
            Row::Revision(r) => (r.action, r.version),
            Row::Import(i) => (Action::Imported, i.rows),
        })
        .collect()
}

fn whole_log() -> Scope {
    Scope {
        grouped: true,
        ..Scope::default()
    }
}

async fn the_change_log_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261207_000013_change_log").await
    else {
        return;
    };
    // The previous release's data: Grace created, changed by an import and
    // by a form (version 3), and an upload waiting for its confirm (an
    // update of Grace at version 3, a create).
    let at = |hour| Utc.with_ymd_and_hms(2026, 12, 6, hour, 0, 0).unwrap();
    old_account(&db, at(8), Some("registrar")).await;
    old_student(&db, "3 Low Rd", 350, 3, at(11)).await;
    old_revision(&db, 1, 1, "created", "1 Main St", 300, at(9)).await;
    old_revision(&db, 1, 2, "imported", "2 High St", 320, at(10)).await;
    old_revision(&db, 1, 3, "updated", "3 Low Rd", 350, at(11)).await;
    db.execute_unprepared("UPDATE student_count SET live = 1")
        .await
        .expect("count");
    let upload = "u".repeat(43);
    insert(
        &db,
        "imports",
        &[
            ("id", upload.as_str().into()),
            ("registrar", "ada".into()),
            ("filename", "waiting.csv".into()),
            ("rows", 2_i64.into()),
            ("created_at", at(12).into()),
            ("state", "pending".into()),
        ],
    )
    .await;
    for (seq, student, values, gpa, outcome) in [
        (
            0_i64,
            Some(1_i64),
            ["Grace", "4 New St", "3.60"],
            360_i16,
            "update",
        ),
        (1, None, ["Ada", "1 Main St", "4.00"], 400, "create"),
    ] {
        let [name, address, text] = values.map(|v| sea_orm::Value::from(v.to_owned()));
        insert(
            &db,
            "import_rows",
            &[
                ("import_id", upload.as_str().into()),
                ("seq", seq.into()),
                ("line", (seq + 2).into()),
                ("student_id", student.into()),
                ("version", student.map(|_| 3_i64).into()),
                ("name", name),
                ("address", address),
                ("gpa", text),
                ("gpa_hundredths", Some(gpa).into()),
                ("outcome", outcome.into()),
            ],
        )
        .await;
    }

    Migrator::up(&db, None).await.expect("the upgrade");

    // The old revisions, newest first; the old import's row is its own
    // entry (nothing says which import wrote it).
    let old = [
        (Action::Updated, 3),
        (Action::Imported, 2),
        (Action::Created, 1),
    ];
    assert_eq!(read(&db, &whole_log()).await, old, "{}", backend.name());
    let by_ada = Scope {
        by: Some("ada".into()),
        ..whole_log()
    };
    assert_eq!(read(&db, &by_ada).await, old);

    // The waiting upload, confirmed by the new code: one entry of 2 rows,
    // which opens them.
    let import = imports::get(&db, &upload)
        .await
        .expect("query")
        .expect("the import");
    let lease = job::start(&db, &import, false).await.expect("started");
    job::run(db.clone(), upload.clone(), lease).await;
    let done = imports::get(&db, &upload)
        .await
        .expect("query")
        .expect("the import");
    assert_eq!((done.state, done.written), (ImportState::Done, 2));
    let log_now = read(&db, &whole_log()).await;
    assert_eq!(log_now[0], (Action::Imported, 2), "{log_now:?}");
    assert_eq!(&log_now[1..], old);
    let rows = Scope {
        import: Some(upload.clone()),
        ..Scope::default()
    };
    let mut opened: Vec<i64> = read(&db, &rows)
        .await
        .into_iter()
        .map(|(action, version)| {
            assert_eq!(action, Action::Imported);
            version
        })
        .collect();
    opened.sort_unstable();
    assert_eq!(opened, [1, 4]);

    // Down and up again: every revision stays; the import's rows, no
    // longer naming it, show one entry each.
    let count = || {
        revision::Entity::find()
            .select_only()
            .column(revision::Column::Id)
            .count(&db)
    };
    let revisions = count().await.expect("count");
    down_past(&db, "m20261207_000013_change_log").await;
    assert_eq!(count().await.expect("count"), revisions);
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(read(&db, &whole_log()).await.len(), 5);
    db.close().await.expect("close");
}
