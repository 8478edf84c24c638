//! Accounts and presence, hardened: names the pages use cannot be
//! usernames and older ones still have working pages; an admin's own
//! password needs the current one; a new password differs from the
//! current one; presence marks follow the account's rights at once and are
//! paced. (That a cut request never leaves a SQLite connection short of
//! patience is tried from outside the process, with the lock held by
//! another one: `tests/python/test_cut_requests.py`.)

use axum::http::StatusCode;
use registrar::db::entities::presence as presence_row;
use registrar::domain::Role;
use registrar::presence::pace::BURST;
use registrar::students::demo;
use registrar::testing::{Backend, PASSWORD, REGISTRAR};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::roles::{OTHER_PASSWORD, create_account};
use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(
    names_the_pages_use_are_refused_and_every_accounts_pages_work,
    an_admins_own_password_is_changed_with_the_current_one,
    a_disabled_or_demoted_accounts_presence_is_gone_at_once,
);

async fn names_the_pages_use_are_refused_and_every_accounts_pages_work(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    let new = admin.get("/accounts/new").await;
    for reserved in ["new", "NEW", ".", "..", "..."] {
        let mut form = new.form("/accounts");
        form.set("username", reserved)
            .choose("role", "admin")
            .set("password", OTHER_PASSWORD);
        let refused = form.submit(&admin).await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.field_error("username").is_some(), "{reserved}");
    }
    for fine in ["news", "a.b", "x@y.z", "-", "_", ".hidden"] {
        let mut form = new.form("/accounts");
        form.set("username", fine)
            .choose("role", "registrar")
            .set("password", OTHER_PASSWORD);
        form.submit(&admin)
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    // Accounts an earlier release let through.
    create_account(&app, "new", OTHER_PASSWORD, Role::Admin).await;
    create_account(&app, "..", OTHER_PASSWORD, Role::Registrar).await;

    // Every account is reached from the list, and every form on its page
    // works there: disable (and enable again), and set a password.
    let list = admin.get("/accounts").await;
    let links = list.texts("table.accounts tbody th a");
    let hrefs: Vec<String> = (1..=links.len())
        .filter_map(|n| list.href(&format!("table.accounts tbody tr:nth-child({n}) th a")))
        .collect();
    assert_eq!(hrefs.len(), 9, "{links:?} {hrefs:?}");
    for (username, href) in links.iter().zip(&hrefs) {
        if username == REGISTRAR {
            continue;
        }
        let page = admin.get(href).await;
        page.assert_status(StatusCode::OK);
        assert!(
            page.title().contains(username.as_str()),
            "{href}: {}",
            page.title()
        );
        for enabled in ["false", "true"] {
            let page = admin.get(href).await;
            page.assert_status(StatusCode::OK);
            let mut form = page.form(href);
            form.choose("enabled", enabled);
            form.submit(&admin).await.assert_redirect_to(href);
        }
        let page = admin.get(href).await;
        let mut password = page.form(&format!("{href}/password"));
        password.set("password", "yet another long password");
        password.submit(&admin).await.assert_redirect_to(href);
        app.signed_in_as(username, "yet another long password")
            .await;
    }
}

async fn an_admins_own_password_is_changed_with_the_current_one(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    let own = format!("/accounts/{REGISTRAR}");
    let page = admin.get(&own).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.forms()
            .iter()
            .all(|f| !f.action.ends_with("/password")),
        "no password form for oneself"
    );
    // A form sent anyway changes nothing and leads to /account.
    let token = admin.csrf_token().await;
    let version = page.form(&own).value("version").unwrap_or("1").to_owned();
    let sent = admin
        .post_form(
            &format!("{own}/password"),
            &[
                ("password", "taken over password"),
                ("version", &version),
                ("csrf_token", &token),
            ],
        )
        .await;
    sent.assert_redirect_to("/account");
    let shown = admin.follow(&sent).await;
    assert!(
        shown
            .flash()
            .is_some_and(|f| f.contains("your own password is changed here")),
        "{:?}",
        shown.flash()
    );
    app.signed_in_as(REGISTRAR, PASSWORD).await;
    assert_eq!(
        app.browser()
            .sign_in(REGISTRAR, "taken over password")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // On /account, the current password again is no new password.
    let mut change = shown.form("/account/password");
    change
        .set("current_password", PASSWORD)
        .set("password", PASSWORD)
        .set("password_confirm", PASSWORD);
    let refused = change.submit(&admin).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("password").is_some());
}

async fn presence_marks_of(app: &registrar::testing::TestApp, account: i64) -> u64 {
    presence_row::Entity::find()
        .filter(presence_row::Column::RegistrarId.eq(account))
        .count(&app.db)
        .await
        .expect("query")
}

async fn a_disabled_or_demoted_accounts_presence_is_gone_at_once(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    create_account(&app, "alice", OTHER_PASSWORD, Role::Registrar).await;
    let alice = app.signed_in_as("alice", OTHER_PASSWORD).await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");
    alice
        .get(&format!("{path}/edit"))
        .await
        .assert_status(StatusCode::OK);
    let notices = |page: &registrar::testing::Page| page.texts(".presence li");
    assert_eq!(notices(&admin.get(&path).await).len(), 1);

    let set = |role: &'static str, enabled: &'static str| {
        let admin = &admin;
        async move {
            let page = admin.get("/accounts/alice").await;
            let mut form = page.form("/accounts/alice");
            form.choose("role", role).choose("enabled", enabled);
            form.submit(admin)
                .await
                .assert_status(StatusCode::SEE_OTHER);
        }
    };
    set("viewer", "true").await;
    assert!(notices(&admin.get(&path).await).is_empty(), "demoted");
    set("registrar", "false").await;
    assert!(notices(&admin.get(&path).await).is_empty(), "disabled");
    set("registrar", "true").await;
    assert_eq!(
        notices(&admin.get(&path).await).len(),
        1,
        "the mark was advice, still there"
    );
}

/// One account opening thousands of edit forms marks a burst of them, no
/// more: every page is served, the table does not fill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_marking_forms_by_the_thousand_is_paced() {
    let app = spawn_app!(Backend::Sqlite);
    demo::fill(&app.db, 300, 7, false, |_| {})
        .await
        .expect("demo students");
    let browser = app.signed_in_browser().await;
    let first = db_checks::student_of_any(&app.db).await;
    let started = std::time::Instant::now();
    let mut served = 0;
    for id in first..first + 300 {
        let page = browser.get(&format!("/students/{id}/edit")).await;
        if page.status == StatusCode::OK {
            served += 1;
        }
    }
    let took = started.elapsed();
    let marks = presence_marks_of(&app, 1).await;
    println!("300 edit forms opened in {took:?}: {served} served, {marks} marked");
    assert_eq!(served, 300);
    let allowed_meanwhile = took.as_secs() / 2 + 1;
    assert!(
        marks >= u64::from(BURST) && marks <= u64::from(BURST) + allowed_meanwhile,
        "{marks} marks"
    );
}
