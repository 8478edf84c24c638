//! The API tokens' migration (`m20261207_000017_api_tokens`) upgrades a
//! populated database of the previous release on every backend: the
//! accounts, students and sign-in failures stay as they were, the tokens
//! and the wrong-token counter start empty, and the new code makes,
//! accepts, revokes and counts tokens on them; down and up again leaves
//! every account.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::accounts::changes::{self, Actor};
use registrar::api_tokens::{bearer, store, throttle};
use registrar::auth::TokenThrottle;
use registrar::db::entities::{api_token, login_failure, registrar as account, student};
use registrar::domain::{Role, TokenDays, TokenName};
use registrar::testing::Backend;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past, insert, old_account, old_student};

on_every_backend!(the_api_tokens_migration_upgrades_a_populated_database);

async fn the_api_tokens_migration_upgrades_a_populated_database(backend: Backend) {
    const NAME: &str = "m20261207_000017_api_tokens";
    let Some((_database, db)) = database_before(backend, NAME).await else {
        return;
    };
    // The previous release's data: Ada, an admin; Grace; a failed sign-in.
    let at = |hour| Utc.with_ymd_and_hms(2026, 12, 6, hour, 0, 0).unwrap();
    old_account(&db, at(8), Some("admin")).await;
    old_student(&db, "2 High St", 320, 2, at(10)).await;
    insert(
        &db,
        "login_failures",
        &[
            ("username_key", "ada".into()),
            ("client_addr", "203.0.113.7".into()),
            ("at", at(11).into()),
        ],
    )
    .await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let ada = account::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("Ada stays");
    assert_eq!((ada.username.as_str(), ada.role), ("ada", Role::Admin));
    assert_eq!(student::Entity::find().count(&db).await.expect("count"), 1);
    assert_eq!(
        login_failure::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        api_token::Entity::find().count(&db).await.expect("count"),
        0
    );

    // The new code makes a token for the old account, capped at viewer...
    let new = store::NewToken {
        name: TokenName::parse("degree audit").unwrap(),
        cap: Some(Role::Viewer),
        days: TokenDays::within(Some(30), 365).unwrap(),
    };
    let issued = store::issue(&db, ada.id, &Actor::CommandLine, &new)
        .await
        .expect("a token");
    assert!(issued.token.starts_with(store::PREFIX));
    assert_eq!(issued.row.token_hash.len(), 64);
    assert_ne!(issued.row.token_hash, issued.token);
    // ...which stands for Ada, as a viewer, and notes its use.
    let holder = bearer::authenticate(&db, &issued.token)
        .await
        .expect("look-up")
        .expect("the token stands for Ada");
    assert_eq!((holder.account.id, holder.role), (ada.id, Role::Viewer));
    let used = store::find(&db, issued.row.id).await.unwrap().unwrap();
    assert!(used.last_used_at.is_some());
    assert!(
        bearer::authenticate(&db, "rgt_not-a-token")
            .await
            .expect("look-up")
            .is_none()
    );
    // Wrong tokens count on their own counter.
    let small = TokenThrottle {
        per_client: 1,
        ..TokenThrottle::default()
    };
    assert_eq!(
        throttle::count_wrong(&db, &small, "203.0.113.7")
            .await
            .unwrap(),
        Ok(())
    );
    assert!(
        throttle::count_wrong(&db, &small, "203.0.113.7")
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(
        login_failure::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        1
    );

    // Revoked, it stands for nobody; both changes are on Ada's record.
    store::revoke(&db, &Actor::CommandLine, issued.row.id, None)
        .await
        .expect("revoked");
    assert!(
        bearer::authenticate(&db, &issued.token)
            .await
            .expect("look-up")
            .is_none()
    );
    let recorded: Vec<String> = changes::newest(&db, ada.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.action)
        .collect();
    assert_eq!(recorded, ["token-revoked", "token-created"]);

    // Down and up again: the tokens go and come back empty; Ada stays.
    down_past(&db, NAME).await;
    assert_eq!(account::Entity::find().count(&db).await.expect("count"), 1);
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(
        api_token::Entity::find().count(&db).await.expect("count"),
        0
    );
    db.close().await.expect("close");
}
