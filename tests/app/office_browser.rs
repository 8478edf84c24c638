//! The account pages in a real browser (headless Chromium): an admin adds
//! a viewer, changes its role, meets a stale form; everyone's own page; and
//! axe-core finds no violation on any of them.

use fantoccini::Client;
use registrar::testing::{Backend, PASSWORD, REGISTRAR, TestApp};

use crate::chrome::{self, Chrome, click, click_and_wait, fill, path, screenshot, text_of};

async fn sign_in(client: &Client, app: &TestApp, username: &str, password: &str) {
    open(client, app, "/login").await;
    fill(client, "#username", username).await;
    fill(client, "#password", password).await;
    click_and_wait(client, "form[action='/login'] button[type=submit]").await;
}

async fn open(client: &Client, app: &TestApp, page: &str) {
    client
        .goto(&format!("{}{page}", app.base_url))
        .await
        .expect("goto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_accounts_in_the_browser_without_accessibility_violations() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start().await else {
        return;
    };
    let Some(axe) = chrome::axe_source() else {
        chrome::unavailable(
            "axe-core",
            "not installed (npm install --prefix target/browser-deps axe-core)",
        );
        return;
    };
    let admin = chrome.session(1280, 1350).await;
    sign_in(&admin, &app, REGISTRAR, PASSWORD).await;
    assert_eq!(path(&admin).await, "/students");

    let mut report = Vec::new();
    let mut check = async |client: &Client, label: &str| {
        let violations = chrome::axe(client, &axe).await;
        report.push(format!(
            "{label}: {} violations {:?}",
            violations.len(),
            violations
                .iter()
                .map(|v| format!("{} ({}): {}", v.id, v.impact, v.help))
                .collect::<Vec<_>>()
        ));
        violations.len()
    };
    let mut total = 0;

    click_and_wait(&admin, "nav a[href='/accounts']").await;
    assert_eq!(path(&admin).await, "/accounts");
    screenshot(&admin, "accounts").await;
    total += check(&admin, "accounts").await;

    click_and_wait(&admin, "a[href='/accounts/new']").await;
    total += check(&admin, "new account").await;
    // A short password: the error summary, the input kept.
    fill(&admin, "#username", "vera").await;
    fill(&admin, "#password", "short").await;
    click_and_wait(&admin, "form[action='/accounts'] button[type=submit]").await;
    assert!(text_of(&admin, "#error-summary").await.contains("at least"));
    total += check(&admin, "new account with errors").await;
    click(&admin, "#role-viewer").await;
    fill(&admin, "#password", "vera's long password").await;
    click_and_wait(&admin, "form[action='/accounts'] button[type=submit]").await;
    assert_eq!(path(&admin).await, "/accounts/vera");
    assert_eq!(text_of(&admin, "dd[data-role]").await, "viewer");
    screenshot(&admin, "account").await;
    total += check(&admin, "account").await;

    // Another admin tab changes the account meanwhile: this form is stale.
    let kit = app.signed_in_browser().await;
    let mut form = kit.get("/accounts/vera").await.form("/accounts/vera");
    form.choose("role", "registrar");
    form.submit(&kit).await;
    click(&admin, "#enabled-false").await;
    click_and_wait(&admin, "form[action='/accounts/vera'] button[type=submit]").await;
    assert!(
        text_of(&admin, "#stale-message")
            .await
            .contains("version 1")
    );
    screenshot(&admin, "account-stale").await;
    total += check(&admin, "stale account form").await;
    click_and_wait(&admin, "a[href='/accounts/vera']").await;
    click(&admin, "#role-viewer").await;
    click_and_wait(&admin, "form[action='/accounts/vera'] button[type=submit]").await;
    assert_eq!(text_of(&admin, "dd[data-role]").await, "viewer");

    // The last admin, protected.
    open(&admin, &app, &format!("/accounts/{REGISTRAR}")).await;
    click(&admin, "#role-viewer").await;
    click_and_wait(
        &admin,
        &format!("form[action='/accounts/{REGISTRAR}'] button[type=submit]"),
    )
    .await;
    assert!(
        text_of(&admin, "#account-problem")
            .await
            .contains("last enabled admin")
    );
    total += check(&admin, "last admin refused").await;

    // Everyone's own page, with a wrong current password.
    let vera = chrome.session(1280, 1350).await;
    open(&vera, &app, "/login").await;
    // The password box is as wide as the username box (it was unstyled).
    let widths = vera
        .execute(
            "return ['#username', '#password'].map(s => \
             document.querySelector(s).getBoundingClientRect().width)",
            vec![],
        )
        .await
        .expect("widths");
    assert_eq!(
        widths[0], widths[1],
        "username and password widths: {widths}"
    );
    sign_in(&vera, &app, "vera", "vera's long password").await;
    // Another session of hers: its "Sign out" button must be visible.
    let _elsewhere = app.signed_in_as("vera", "vera's long password").await;
    click_and_wait(&vera, "nav a[href='/account']").await;
    let colours = vera
        .execute(
            "const b = document.querySelector('main button.link-button'); \
             return [getComputedStyle(b).color, getComputedStyle(document.body).backgroundColor]",
            vec![],
        )
        .await
        .expect("the other session's sign-out button");
    assert_ne!(colours[0], colours[1], "sign-out button vs page: {colours}");
    screenshot(&vera, "my-account").await;
    total += check(&vera, "my account").await;
    fill(&vera, "#current_password", "not it at all").await;
    fill(&vera, "#password", "a new long password").await;
    fill(&vera, "#password_confirm", "a new long password").await;
    click_and_wait(
        &vera,
        "form[action='/account/password'] button[type=submit]",
    )
    .await;
    assert!(
        text_of(&vera, "#error-summary")
            .await
            .contains("current password")
    );
    total += check(&vera, "my account with errors").await;
    // A viewer is offered no changes.
    open(&vera, &app, "/students").await;
    assert!(
        vera.find(fantoccini::Locator::Css("a[href='/students/new']"))
            .await
            .is_err()
    );
    total += check(&vera, "list as a viewer").await;
    // A page beyond the role.
    open(&vera, &app, "/accounts").await;
    assert!(text_of(&vera, "main").await.contains("Not allowed"));
    total += check(&vera, "not allowed").await;

    for line in &report {
        println!("axe-core {line}");
    }
    assert_eq!(total, 0, "accessibility violations: {report:#?}");
    admin.close().await.ok();
    vera.close().await.ok();
}
