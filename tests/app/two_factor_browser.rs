//! Two-factor sign-in in a real browser (headless Chromium): a registrar
//! turns it on from the QR code page, keeps the recovery codes, signs out
//! and signs in again with the code; axe-core checks each page.
//! Screenshots land in `target/screenshots/two-factor-*.png`.

use registrar::testing::{Backend, PASSWORD, REGISTRAR, TestApp};

use crate::chrome::{self, Chrome, click_and_wait, fill, path, screenshot, text_of};
use crate::two_factor::code_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_turns_on_two_factor_and_signs_in_with_it_in_a_browser() {
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
    let client = chrome.session(1280, 1000).await;
    let mut serious = Vec::new();
    let mut check = async |label: &str| {
        let violations = chrome::axe(&client, &axe).await;
        println!(
            "axe-core {label}: {:?}",
            violations.iter().map(|v| &v.id).collect::<Vec<_>>()
        );
        serious.extend(
            violations
                .into_iter()
                .filter(|v| v.impact == "serious" || v.impact == "critical")
                .map(|v| format!("{label}: {} — {}", v.id, v.help)),
        );
    };
    let goto = async |page: &str| {
        client
            .goto(&format!("{}{page}", app.base_url))
            .await
            .expect("goto");
    };
    let sign_in_with_password = async || {
        goto("/login").await;
        fill(&client, "#username", REGISTRAR).await;
        fill(&client, "#password", PASSWORD).await;
        click_and_wait(&client, "form[action='/login'] button[type=submit]").await;
    };

    sign_in_with_password().await;
    assert_eq!(path(&client).await, "/students");
    goto("/account").await;
    assert!(
        text_of(&client, "#two-factor-state")
            .await
            .starts_with("Off")
    );
    goto("/account/two-factor").await;
    screenshot(&client, "two-factor-setup").await;
    check("two-factor set-up").await;
    let secret: String = text_of(&client, "#secret")
        .await
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    fill(&client, "#code", &code_in(&secret, 0)).await;
    click_and_wait(
        &client,
        "form[action='/account/two-factor'] button[type=submit]",
    )
    .await;
    assert_eq!(path(&client).await, "/account/two-factor");
    assert!(text_of(&client, ".recovery-codes").await.contains('-'));
    screenshot(&client, "two-factor-recovery-codes").await;
    check("recovery codes").await;

    click_and_wait(&client, "form[action='/logout'] button[type=submit]").await;
    assert_eq!(path(&client).await, "/login");
    sign_in_with_password().await;
    assert_eq!(path(&client).await, "/login/two-factor");
    screenshot(&client, "two-factor-sign-in").await;
    check("second step").await;
    fill(&client, "#code", "000000x").await;
    click_and_wait(
        &client,
        "form[action='/login/two-factor'] button[type=submit]",
    )
    .await;
    assert!(text_of(&client, "#code-error").await.contains("not right"));
    check("second step, a wrong code").await;
    fill(&client, "#code", &code_in(&secret, 1)).await;
    click_and_wait(
        &client,
        "form[action='/login/two-factor'] button[type=submit]",
    )
    .await;
    assert_eq!(path(&client).await, "/students");
    goto("/account/two-factor").await;
    check("two-factor on").await;
    client.close().await.ok();
    assert!(
        serious.is_empty(),
        "serious or critical accessibility violations: {serious:#?}"
    );
}
