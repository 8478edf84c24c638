//! The two-factor migration (`m20261207_000021_two_factor`) upgrades a
//! populated database of the previous release on every backend: the
//! accounts and their changes stay, the three new tables start empty, and
//! the new code turns a second factor on for an old account, accepts a
//! code once, uses a recovery code once and records an admin's reset;
//! down and up again leaves every account.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::accounts::changes::{self, Actor};
use registrar::db::entities::{recovery_code, registrar as account, two_factor_secret};
use registrar::testing::Backend;
use registrar::two_factor::store::{self, Accepted, Turned};
use registrar::two_factor::totp::SharedSecret;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::on_every_backend;
use crate::two_factor::{code_at, unix_now};
use crate::upgrades::{database_before, down_past, old_account};

on_every_backend!(the_two_factor_migration_upgrades_a_populated_database);

async fn the_two_factor_migration_upgrades_a_populated_database(backend: Backend) {
    const NAME: &str = "m20261207_000021_two_factor";
    let Some((_database, db)) = database_before(backend, NAME).await else {
        return;
    };
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).unwrap();
    old_account(&db, at, Some("admin")).await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let ada = account::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("Ada stays");
    assert_eq!(
        two_factor_secret::Entity::find().count(&db).await.unwrap(),
        0
    );
    assert!(!store::is_on(&db, ada.id).await.unwrap());

    // The new code turns it on for the old account...
    let secret = SharedSecret::generate();
    let now = unix_now();
    let step = secret
        .step_of(&code_at(secret.as_str(), now), now)
        .expect("its own code");
    let holder = Actor::Holder {
        id: ada.id,
        username: "ada",
    };
    assert_eq!(
        store::turn_on(&db, &holder, ada.id, &secret, step)
            .await
            .unwrap(),
        Turned::Done
    );
    let codes = store::issue_recovery_codes(&db, ada.id)
        .await
        .unwrap()
        .expect("ten codes, once");
    assert_eq!(codes.len(), 10);
    assert!(
        store::issue_recovery_codes(&db, ada.id)
            .await
            .unwrap()
            .is_none()
    );
    // ...accepts the next step's code once, never the one that turned it on...
    let used = code_at(secret.as_str(), now);
    assert_eq!(store::accept(&db, ada.id, &used, now).await.unwrap(), None);
    let next = code_at(secret.as_str(), now + 30);
    assert_eq!(
        store::accept(&db, ada.id, &next, now + 30).await.unwrap(),
        Some(Accepted::Code)
    );
    assert_eq!(
        store::accept(&db, ada.id, &next, now + 30).await.unwrap(),
        None
    );
    // ...and a recovery code once.
    assert_eq!(
        store::accept(&db, ada.id, &codes[0], now).await.unwrap(),
        Some(Accepted::RecoveryCode)
    );
    assert_eq!(
        store::accept(&db, ada.id, &codes[0], now).await.unwrap(),
        None
    );
    assert_eq!(store::unused_recovery_codes(&db, ada.id).await.unwrap(), 9);

    // An admin's reset is recorded in the account's changes.
    let admin = Actor::Admin {
        id: ada.id,
        username: "ada",
    };
    assert_eq!(
        store::turn_off(&db, &admin, ada.id).await.unwrap(),
        Turned::Done
    );
    assert_eq!(recovery_code::Entity::find().count(&db).await.unwrap(), 0);
    let recorded: Vec<String> = changes::newest(&db, ada.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.detail)
        .collect();
    assert_eq!(
        recorded,
        [
            "two-factor sign-in reset by an admin",
            "two-factor sign-in turned on"
        ]
    );

    // Down and up again: the tables go and come back empty; Ada stays.
    store::turn_on(&db, &holder, ada.id, &secret, step + 5)
        .await
        .unwrap();
    down_past(&db, NAME).await;
    assert_eq!(account::Entity::find().count(&db).await.expect("count"), 1);
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(
        two_factor_secret::Entity::find().count(&db).await.unwrap(),
        0
    );
    db.close().await.expect("close");
}
