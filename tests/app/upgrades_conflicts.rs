//! The migration that lets conflict entries name what they refused
//! (`conflicts.refused`) upgrades a populated database of the previous
//! release on every backend: old entries keep their values and read as
//! refusing nothing; new ones name what they did not keep; down and up
//! again leave the entries.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::db::entities::conflict::{self, Attempt};
use registrar::students::history::HistoryEntry;
use registrar::students::store::conflicts::{self, RejectedSubmission};
use registrar::students::values::StudentForm;
use registrar::testing::Backend;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, insert, old_account, old_student};

on_every_backend!(the_conflict_refused_migration_upgrades_a_populated_database);

async fn the_conflict_refused_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261207_000009_conflict_refused").await
    else {
        return;
    };
    // The previous release's data: Grace at version 2, and a stale edit
    // it kept unchecked.
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 9, 30, 0).unwrap();
    old_account(&db, at, Some("registrar")).await;
    old_student(&db, "2 High St", 390, 2, at).await;
    insert(
        &db,
        "conflicts",
        &[
            ("student_id", 1_i64.into()),
            ("attempted", "update".into()),
            ("submitted_version", 1_i64.into()),
            ("current_version", 2_i64.into()),
            ("name", "Grace".into()),
            ("address", "3 Low St".into()),
            ("gpa", "3.9".into()),
            ("registrar", "ada".into()),
            ("at", at.into()),
            ("reason", "moved".into()),
        ],
    )
    .await;

    Migrator::up(&db, None).await.expect("the upgrade");
    let entries = || async {
        conflict::Entity::find()
            .filter(conflict::Column::StudentId.eq(1))
            .order_by_asc(conflict::Column::Id)
            .all(&db)
            .await
            .expect("query")
    };
    let old = &entries().await[0];
    assert_eq!(
        (
            old.address.as_deref(),
            old.reason.as_deref(),
            old.refused.as_deref()
        ),
        (Some("3 Low St"), Some("moved"), None),
        "{}",
        backend.name()
    );
    assert!(
        !HistoryEntry::from_conflict(old, registrar::domain::Disclosure::Full, false)
            .note
            .unwrap_or_default()
            .contains("Not kept")
    );

    // A new stale edit with a reason the rules refuse: kept without it.
    let long = "x".repeat(201);
    let txn = registrar::db::begin_write(&db).await.expect("begin");
    conflicts::record(
        &txn,
        RejectedSubmission {
            student_id: 1,
            attempted: Attempt::Update,
            submitted_version: 1,
            current_version: 2,
            values: Some(&StudentForm {
                student_number: String::new(),
                confidential: String::new(),
                name: "Grace".into(),
                address: "4 Elm St".into(),
                gpa: "3.8".into(),
            }),
            registrar: "ada",
            reason: Some(&long),
        },
    )
    .await
    .expect("recorded");
    txn.commit().await.expect("commit");
    let new = &entries().await[1];
    assert_eq!(
        (
            new.address.as_deref(),
            new.reason.as_deref(),
            new.refused.as_deref()
        ),
        (Some("4 Elm St"), None, Some("reason"))
    );
    let note = HistoryEntry::from_conflict(new, registrar::domain::Disclosure::Full, false)
        .note
        .unwrap_or_default();
    assert!(
        note.contains("Not kept, as the form's rules refuse what was sent: Reason."),
        "{note}"
    );

    // Down (past this migration and those after it) and up again: the
    // entries stay.
    down_past(&db, "m20261207_000009_conflict_refused").await;
    Migrator::up(&db, None).await.expect("up again");
    let again = entries().await;
    assert_eq!(again.len(), 2);
    assert_eq!(again[1].refused, None, "the column came back empty");
    assert_eq!(again[1].address.as_deref(), Some("4 Elm St"));
    db.close().await.expect("close");
}
