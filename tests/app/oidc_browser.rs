//! The university sign-in in a real browser (headless Chromium): the
//! sign-in page's offer, the provider's own login and consent pages, back
//! on registrar signed in, with axe-core on registrar's pages.

use fantoccini::Client;
use registrar::testing::Backend;

use crate::chrome::{self, Chrome, click_and_wait, fill, path, screenshot, text_of};
use crate::oidc_harness::{self as harness, Mode};

/// No serious or critical axe-core violation on the page (when axe-core
/// is installed).
async fn accessible(client: &Client, axe: Option<&str>, what: &str) {
    let Some(axe) = axe else { return };
    let serious: Vec<String> = chrome::axe(client, axe)
        .await
        .into_iter()
        .filter(|v| v.impact == "serious" || v.impact == "critical")
        .map(|v| format!("{} — {}", v.id, v.help))
        .collect();
    assert!(serious.is_empty(), "{what}: {serious:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_signs_in_at_the_university_in_a_real_browser() {
    let Some((app, provider)) = harness::spawn(Backend::Sqlite, Mode::Normal, true, |_| {}).await
    else {
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
    let client = chrome.session(1280, 900).await;
    // The discovery is fetched in the background at start; the page
    // offers the button once it answered.
    for _ in 0..50 {
        client
            .goto(&format!("{}/login?next=/students/new", app.base_url))
            .await
            .expect("goto");
        if chrome::text_if_any(&client, "#university-sign-in")
            .await
            .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        text_of(&client, "#university-sign-in").await,
        "Sign in with Example University"
    );
    accessible(
        &client,
        axe.as_deref(),
        "the sign-in page with the university's",
    )
    .await;
    screenshot(&client, "university-sign-in").await;

    click_and_wait(&client, "#university-sign-in").await;
    let url = client.current_url().await.expect("url");
    assert!(url.as_str().starts_with(&provider.issuer()), "{url}");
    fill(&client, "input[name=login]", "reggie").await;
    fill(&client, "input[name=password]", "any password").await;
    click_and_wait(&client, "button[type=submit]").await;
    // The provider's consent page.
    click_and_wait(&client, "button[type=submit]").await;
    assert_eq!(path(&client).await, "/students/new");
    accessible(
        &client,
        axe.as_deref(),
        "the first page after the university sign-in",
    )
    .await;

    client
        .goto(&format!("{}/account", app.base_url))
        .await
        .expect("goto");
    assert!(
        text_of(&client, "#sign-in-method")
            .await
            .contains("university account"),
    );
    accessible(&client, axe.as_deref(), "/account of a university account").await;
    screenshot(&client, "university-account").await;
}
