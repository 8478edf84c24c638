//! `registrar user …` with roles (contract §9), run as a process.

use axum::http::StatusCode;
use registrar::accounts;
use registrar::db::entities::account_change;
use registrar::domain::Role;
use registrar::testing::{AppOptions, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::cli::{registrar, stdout};
use crate::on_every_backend;

on_every_backend!(user_commands_give_and_change_roles);

async fn role_of(app: &TestApp, username: &str) -> Role {
    accounts::find_by_username(&app.db, username)
        .await
        .unwrap()
        .expect("the account")
        .role
}

async fn user_commands_give_and_change_roles(backend: Backend) {
    let options = AppOptions {
        create_registrar: false,
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let password = "a long enough password\n";
    // The first account is an admin, whatever was asked.
    let first = registrar(
        &app,
        &[
            "user",
            "add",
            "boss",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        password,
    );
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout(&first).contains("Created admin account boss"),
        "{}",
        stdout(&first)
    );
    assert_eq!(role_of(&app, "boss").await, Role::Admin);
    // Then the role asked for, `registrar` by default.
    for (username, args) in [("vera", &["--role", "viewer"][..]), ("clerk", &[][..])] {
        let mut all = vec!["user", "add", username, "--password-stdin"];
        all.extend_from_slice(args);
        assert!(registrar(&app, &all, password).status.success());
    }
    assert_eq!(role_of(&app, "vera").await, Role::Viewer);
    assert_eq!(role_of(&app, "clerk").await, Role::Registrar);
    let unknown = registrar(
        &app,
        &["user", "add", "x", "--role", "root", "--password-stdin"],
        password,
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown role"));

    let listed = stdout(&registrar(&app, &["user", "list"], ""));
    for line in ["boss\tadmin", "clerk\tregistrar", "vera\tviewer"] {
        assert!(listed.contains(line), "{listed}");
    }

    let promoted = registrar(&app, &["user", "role", "VERA", "registrar"], "");
    assert!(promoted.status.success());
    assert!(stdout(&promoted).contains("is now a registrar"));
    assert_eq!(role_of(&app, "vera").await, Role::Registrar);
    let admin = registrar(&app, &["user", "role", "vera", "admin"], "");
    assert!(stdout(&admin).contains("is now an admin"), "{admin:?}");
    assert!(
        registrar(&app, &["user", "role", "vera", "registrar"], "")
            .status
            .success()
    );
    assert!(
        !registrar(&app, &["user", "role", "vera", "boss"], "")
            .status
            .success()
    );
    assert!(
        !registrar(&app, &["user", "role", "nobody", "viewer"], "")
            .status
            .success()
    );

    let clerk = app.signed_in_as("clerk", password.trim()).await;
    assert!(
        registrar(&app, &["user", "disable", "clerk"], "")
            .status
            .success()
    );
    clerk
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    assert!(
        registrar(&app, &["user", "enable", "clerk"], "")
            .status
            .success()
    );
    let clerk = app.signed_in_as("clerk", password.trim()).await;
    clerk
        .get("/students/new")
        .await
        .assert_status(StatusCode::OK);
    assert!(
        !registrar(&app, &["user", "enable", "nobody"], "")
            .status
            .success()
    );

    // Each change is recorded, by the command line.
    let vera = accounts::find_by_username(&app.db, "vera")
        .await
        .unwrap()
        .unwrap();
    let recorded: Vec<_> = account_change::Entity::find()
        .filter(account_change::Column::RegistrarId.eq(vera.id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.actor, c.detail))
        .collect();
    assert!(
        recorded.contains(&(
            "command line".to_owned(),
            "role viewer → registrar".to_owned()
        )),
        "{recorded:?}"
    );
}
