//! The university sign-in's migration
//! (`m20261207_000020_provider_identities`) upgrades a populated database
//! of the previous release on every backend: accounts and sessions stay,
//! every existing session is one begun with a password, the identities
//! start empty and take a link (unique per account and per identity);
//! down and up again leaves every account and session.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::accounts::changes::Actor;
use registrar::accounts::provider::{self, LinkError};
use registrar::db::entities::{provider_identity, registrar as account, session};
use registrar::domain::Role;
use registrar::testing::Backend;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, insert, old_account};

on_every_backend!(the_provider_identities_migration_upgrades_a_populated_database);

const NAME: &str = "m20261207_000020_provider_identities";
const ISSUER: &str = "https://login.example.edu";

async fn the_provider_identities_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, NAME).await else {
        return;
    };
    let at = |hour| Utc.with_ymd_and_hms(2026, 12, 6, hour, 0, 0).unwrap();
    old_account(&db, at(8), Some("admin")).await;
    let ada = account::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .expect("Ada");
    insert(
        &db,
        "sessions",
        &[
            ("token_hash", "a".repeat(64).into()),
            ("registrar_id", ada.id.into()),
            ("csrf_token", "c".repeat(43).into()),
            ("created_at", at(9).into()),
            ("last_seen_at", at(9).into()),
            ("expires_at", at(21).into()),
        ],
    )
    .await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let sessions = session::Entity::find().all(&db).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(
        !sessions[0].began_at_provider,
        "an old session began with a password"
    );
    assert_eq!(
        provider_identity::Entity::find().count(&db).await.unwrap(),
        0
    );
    let ada = account::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .expect("Ada stays");
    assert_eq!((ada.username.as_str(), ada.role), ("ada", Role::Admin));

    // The new code links on the upgraded schema, once per account and
    // once per identity; `sub` is compared exactly (case and all).
    let linked = provider::link(&db, &Actor::CommandLine, "ada", ISSUER, "Ada-1").await;
    assert!(linked.is_ok(), "{linked:?}");
    assert!(matches!(
        provider::link(&db, &Actor::CommandLine, "ada", ISSUER, "other").await,
        Err(LinkError::AccountLinked)
    ));
    let identity = provider::identity_of(&db, ada.id).await.unwrap().unwrap();
    assert_eq!(identity.subject, "Ada-1");
    insert(
        &db,
        "registrars",
        &[
            ("username", "grace".into()),
            ("username_key", "grace".into()),
            ("password_hash", "x".into()),
            ("created_at", at(10).into()),
        ],
    )
    .await;
    assert!(matches!(
        provider::link(&db, &Actor::CommandLine, "grace", ISSUER, "Ada-1").await,
        Err(LinkError::IdentityTaken)
    ));
    let other_case = provider::link(&db, &Actor::CommandLine, "grace", ISSUER, "ada-1").await;
    assert!(other_case.is_ok(), "{other_case:?}");

    down_past(&db, NAME).await;
    assert_eq!(account::Entity::find().count(&db).await.unwrap(), 2);
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(session::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(
        provider_identity::Entity::find().count(&db).await.unwrap(),
        0
    );
}
