//! The office migration upgrades a populated database of the previous
//! release: its accounts become admins, their sessions and passwords keep
//! working.

use axum::http::StatusCode;
use migrations::{Migrator, MigratorTrait};
use registrar::auth::password;
use registrar::config::Settings;
use registrar::db::entities::registrar as account;
use registrar::domain::NewPassword;
use registrar::domain::Role;
use registrar::startup::Application;
use registrar::testing::{Backend, Browser, TestDatabase};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::on_every_backend;

on_every_backend!(accounts_of_the_previous_release_become_admins);

/// Migrations of the release before the office.
const PREVIOUS_RELEASE: u32 = 3;

async fn accounts_of_the_previous_release_become_admins(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let db = registrar::db::connect(&database.url, 4, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    Migrator::up(&db, Some(PREVIOUS_RELEASE)).await.unwrap();
    let hash = password::hash(&NewPassword::parse("an old long password").unwrap())
        .await
        .unwrap();
    let at = registrar::db::now();
    for (username, disabled) in [("Ada", None), ("grace", Some(at))] {
        let insert = Query::insert()
            .into_table(Alias::new("registrars"))
            .columns(
                [
                    "username",
                    "username_key",
                    "password_hash",
                    "created_at",
                    "disabled_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                username.into(),
                username.to_ascii_lowercase().into(),
                hash.clone().into(),
                at.into(),
                disabled.into(),
            ])
            .to_owned();
        db.execute(&insert).await.unwrap();
    }
    let failure = Query::insert()
        .into_table(Alias::new("login_failures"))
        .columns(["username_key", "client_addr", "at"].map(Alias::new))
        .values_panic(["ada".into(), "127.0.0.1".into(), at.into()])
        .to_owned();
    db.execute(&failure).await.unwrap();

    Migrator::up(&db, None).await.unwrap();
    let accounts = account::Entity::find()
        .order_by_asc(account::Column::Id)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 2);
    for account in &accounts {
        assert_eq!(account.role, Role::Admin, "{}", account.username);
        assert_eq!(account.version, 1);
        assert!(!account.must_change_password);
        assert!(account.last_sign_in_at.is_none());
    }
    assert!(accounts[1].disabled_at.is_some(), "disabled stays disabled");
    // A second run changes nothing.
    Migrator::up(&db, None).await.unwrap();

    // The upgraded database serves: the old account signs in as an admin,
    // and new accounts get the role asked for.
    let app = Application::build(&Settings::for_tests(database.url.clone()))
        .await
        .unwrap();
    let base_url = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let browser = Browser::new(&base_url);
    browser
        .sign_in("ada", "an old long password")
        .await
        .assert_redirect_to("/students");
    browser.get("/accounts").await.assert_status(StatusCode::OK);
    let mut form = browser.get("/accounts/new").await.form("/accounts");
    form.set("username", "newcomer")
        .choose("role", "viewer")
        .set("password", "a newcomer's password");
    form.submit(&browser)
        .await
        .assert_redirect_to("/accounts/newcomer");
    let newcomer = registrar::accounts::find_by_username(&db, "newcomer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newcomer.role, Role::Viewer);
    let _ = stop.send(());
}
