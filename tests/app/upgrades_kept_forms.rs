//! The migration that remembers ended sessions and keeps their forms
//! (`ended_sessions`, `kept_forms`) upgrades a populated database of the
//! previous release on every backend: its sessions stay alive; one ended
//! by the new code is remembered with its account and form token, and a
//! form kept for that account is found by it alone; down and up again
//! leaves the sessions.

use chrono::{Duration, TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::auth::ended;
use registrar::auth::tokens::digest;
use registrar::db::entities::ended_session::EndCause;
use registrar::db::entities::session;
use registrar::domain::Version;
use registrar::kept::form::{Carried, FormAction};
use registrar::kept::store as kept;
use registrar::students::values::StudentForm;
use registrar::testing::Backend;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, insert, old_account, old_revision, old_student};

on_every_backend!(the_kept_forms_migration_upgrades_a_populated_database);

async fn the_kept_forms_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261207_000011_kept_forms").await
    else {
        return;
    };
    // The previous release's data: Ada signed in twice, Grace at version 1.
    let at = Utc::now() - Duration::minutes(5);
    let created = Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap();
    old_account(&db, created, Some("registrar")).await;
    old_student(&db, "2 High St", 390, 1, created).await;
    old_revision(&db, 1, 1, "created", "2 High St", 390, created).await;
    for (token, csrf) in [("desk", "desk-form-token"), ("phone", "phone-form-token")] {
        insert(
            &db,
            "sessions",
            &[
                ("token_hash", digest(token).into()),
                ("registrar_id", 1_i64.into()),
                ("csrf_token", csrf.into()),
                ("created_at", at.into()),
                ("last_seen_at", at.into()),
                ("expires_at", (at + Duration::hours(12)).into()),
                ("client_addr", "127.0.0.1".into()),
                ("user_agent", "old browser".into()),
            ],
        )
        .await;
    }

    Migrator::up(&db, None).await.expect("the upgrade");
    assert_eq!(session::Entity::find().count(&db).await.unwrap(), 2);

    // The desk's session ends (signed out elsewhere): remembered by its
    // cookie's digest, and its form token only as a digest.
    registrar::auth::sessions::end(&db, &digest("desk"), EndCause::Elsewhere)
        .await
        .expect("ended");
    assert_eq!(session::Entity::find().count(&db).await.unwrap(), 1);
    let now = registrar::db::now();
    let remembered = ended::find(&db, &digest("desk"), now)
        .await
        .unwrap()
        .expect("remembered");
    assert_eq!(
        (remembered.registrar_id, remembered.cause),
        (1, EndCause::Elsewhere),
        "{}",
        backend.name()
    );
    assert!(ended::carried_its_token(&remembered, "desk-form-token"));
    assert!(!ended::carried_its_token(&remembered, "phone-form-token"));
    assert!(!format!("{remembered:?}").contains("desk-form-token"));

    // A form kept for Ada is hers alone.
    let carried = Carried {
        action: FormAction::Edit,
        student_id: Some(1),
        version: Some(Version::new(1)),
        revision: None,
        values: StudentForm {
            name: "Grace".into(),
            address: "3 Low St".into(),
            gpa: "3.9".into(),
            student_number: String::new(),
            confidential: String::new(),
        },
        reason: Some("moved".into()),
    };
    let id = kept::keep(&db, 1, &carried, remembered.cause, now)
        .await
        .expect("kept");
    let found = kept::find(&db, id, 1, now).await.unwrap().expect("found");
    assert_eq!(kept::carried(&found), carried);
    assert!(kept::find(&db, id, 2, now).await.unwrap().is_none());

    // Down and up again: the live session stays.
    down_past(&db, "m20261207_000011_kept_forms").await;
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(session::Entity::find().count(&db).await.unwrap(), 1);
    assert!(
        ended::find(&db, &digest("desk"), now)
            .await
            .unwrap()
            .is_none()
    );
    db.close().await.expect("close");
}
