//! A session that ends mid-edit loses nothing, in a real browser
//! (headless Chromium, contract §12): the registrar's session is signed
//! out from elsewhere while the edit form is open; Save leads to the
//! sign-in page, signing in to the form with what was typed, and Save
//! again writes it. A demotion's `403` shows what was typed. Both pages
//! fit a 360-pixel screen and have no serious accessibility violations.

use fantoccini::Client;
use registrar::accounts::changes::Actor;
use registrar::accounts::store::{Change, change};
use registrar::domain::Role;
use registrar::testing::{Backend, PASSWORD, REGISTRAR, TestApp};

use crate::chrome::{self, Chrome, click_and_wait, fill, path, screenshot, text_of, value_of};
use crate::db_checks;

async fn open(client: &Client, app: &TestApp, page: &str) {
    client
        .goto(&format!("{}{page}", app.base_url))
        .await
        .expect("goto");
}

/// Fills the sign-in form the browser is on and submits it.
async fn sign_in_here(client: &Client) {
    fill(client, "#username", REGISTRAR).await;
    fill(client, "#password", PASSWORD).await;
    click_and_wait(client, "form[action='/login'] button[type=submit]").await;
}

/// Fails unless the page fits the window's width, and has no serious or
/// critical axe-core violation (when axe-core is installed).
async fn check(client: &Client, axe: Option<&str>, what: &str) {
    let overflow = client
        .execute(
            "return document.scrollingElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap_or(i64::MAX);
    assert!(overflow <= 0, "{what} scrolls sideways by {overflow}px");
    if let Some(axe) = axe {
        let serious: Vec<String> = chrome::axe(client, axe)
            .await
            .into_iter()
            .filter(|v| v.impact == "serious" || v.impact == "critical")
            .map(|v| format!("{} — {}", v.id, v.help))
            .collect();
        assert!(serious.is_empty(), "{what}: {serious:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_saved_after_its_session_ended_comes_back_after_signing_in() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start().await else {
        return;
    };
    let axe = chrome::axe_source();
    if axe.is_none() {
        chrome::unavailable(
            "axe-core",
            "not installed (npm install --prefix target/browser-deps axe-core)",
        );
    }
    let kit = app.signed_in_browser().await;
    let id = app
        .create_student(&kit, "Ada Lovelace", "12 St James's Square", "3.60")
        .await;
    let client = chrome.session(360, 800).await;
    open(&client, &app, "/login").await;
    sign_in_here(&client).await;
    assert_eq!(path(&client).await, "/students");

    // The edit form, typed into; meanwhile "Sign out everywhere else"
    // from another browser ends this one's session.
    let record = format!("/students/{id}");
    open(&client, &app, &format!("{record}/edit")).await;
    fill(&client, "#address", "13 St James's Square, London").await;
    fill(&client, "#reason", "moved next door").await;
    let account = kit.get("/account").await;
    account
        .form("/account/sessions/end-others")
        .submit(&kit)
        .await;

    click_and_wait(
        &client,
        &format!("form[action='{record}'] button[type=submit]"),
    )
    .await;
    assert_eq!(path(&client).await, "/login", "sent to sign in");
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    sign_in_here(&client).await;
    let kept = path(&client).await;
    assert!(kept.starts_with("/account/kept/"), "landed on {kept}");
    assert!(
        text_of(&client, "#kept-notice")
            .await
            .contains("check and save")
    );
    assert_eq!(
        value_of(&client, "#address").await,
        "13 St James's Square, London"
    );
    assert_eq!(value_of(&client, "#reason").await, "moved next door");
    check(&client, axe.as_deref(), "the kept form").await;
    screenshot(&client, "kept-form-360px").await;
    click_and_wait(
        &client,
        &format!("form[action='{record}'] button[type=submit]"),
    )
    .await;
    assert_eq!(path(&client).await, record);
    let student = db_checks::student(&app.db, id).await;
    assert_eq!(
        (student.version, student.address.as_str()),
        (2, "13 St James's Square, London")
    );

    // Demoted while the form is open: the 403 shows what was typed.
    open(&client, &app, &format!("{record}/edit")).await;
    fill(&client, "#name", "Augusta Ada King").await;
    change(
        &app.db,
        &Actor::CommandLine,
        REGISTRAR,
        None,
        Change::Role(Role::Viewer),
    )
    .await
    .expect("demoted");
    click_and_wait(
        &client,
        &format!("form[action='{record}'] button[type=submit]"),
    )
    .await;
    assert!(text_of(&client, "h1").await.contains("Not allowed"));
    assert_eq!(value_of(&client, "#typed-1").await, "Augusta Ada King");
    check(&client, axe.as_deref(), "the 403 showing what was typed").await;
    screenshot(&client, "refused-writer-360px").await;
    client.close().await.ok();
}
