//! The access log's migration (`m20261207_000016_access_log`) upgrades a
//! populated database of the previous release on every backend: the
//! students and their history stay as they were, the log starts empty and
//! takes the writer's batches, reads back newest first with its filters,
//! and down and up again leaves every student.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::access::store::{self, Scope};
use registrar::access::{Pending, ViewKind, viewers};
use registrar::db::entities::{access_entry, revision, student};
use registrar::testing::Backend;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, old_account, old_revision, old_student};

on_every_backend!(the_access_log_migration_upgrades_a_populated_database);

async fn the_access_log_migration_upgrades_a_populated_database(backend: Backend) {
    const NAME: &str = "m20261207_000016_access_log";
    let Some((_database, db)) = database_before(backend, NAME).await else {
        return;
    };
    // The previous release's data: Ada, and Grace at version 2, under a
    // directory hold.
    let at = |hour| Utc.with_ymd_and_hms(2026, 12, 6, hour, 0, 0).unwrap();
    old_account(&db, at(8), Some("admin")).await;
    old_student(&db, "2 High St", 320, 2, at(10)).await;
    old_revision(&db, 1, 1, "created", "1 Main St", 300, at(9)).await;
    old_revision(&db, 1, 2, "updated", "2 High St", 320, at(10)).await;
    db.execute_unprepared("UPDATE students SET confidential = true")
        .await
        .expect("the hold");

    Migrator::up(&db, None).await.expect("the upgrade");

    let grace = student::Entity::find_by_id(1)
        .one(&db)
        .await
        .expect("query")
        .expect("Grace stays");
    assert_eq!((grace.version, grace.confidential), (2, true));
    assert_eq!(revision::Entity::find().count(&db).await.expect("count"), 2);
    assert_eq!(
        access_entry::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        0
    );

    // The new code writes and reads it.
    let look = |hour, kind, student_id| Pending {
        at: at(hour),
        account: "ada".to_owned(),
        kind,
        student_id,
        query: None,
        rows: None,
        client_addr: "2001:db8::1".to_owned(),
        confidential: student_id.is_some(),
    };
    store::insert(
        &db,
        &[
            look(11, ViewKind::Record, Some(1)),
            look(12, ViewKind::History, Some(1)),
            look(13, ViewKind::AccessLog, None),
        ],
    )
    .await
    .expect("the writer's batch");
    let all = store::rows(&db, &Scope::default(), None, 10)
        .await
        .expect("the log");
    let kinds: Vec<ViewKind> = all.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [ViewKind::AccessLog, ViewKind::History, ViewKind::Record]
    );
    let seen = viewers::of_student(&db, 1).await.expect("who viewed");
    assert_eq!(seen.entries.len(), 2);
    assert!(seen.entries.iter().all(|e| e.confidential));
    let position = store::position_of(&db, all[0].id)
        .await
        .expect("query")
        .expect("the newest entry");
    let below = store::rows(&db, &Scope::default(), Some(position), 10)
        .await
        .expect("the next page");
    assert_eq!(below.len(), 2);

    // Down and up again: the log goes and comes back empty; Grace stays.
    down_past(&db, NAME).await;
    assert_eq!(student::Entity::find().count(&db).await.expect("count"), 1);
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(
        access_entry::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        0
    );
    db.close().await.expect("close");
}
