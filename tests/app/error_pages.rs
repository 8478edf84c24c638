//! Error pages answered to a signed-in account keep the header every page
//! has (who is signed in, the navigation its role may use), with their
//! status and headers; a signed-out visitor's and a disabled account's do
//! not offer the navigation.

use axum::http::StatusCode;
use registrar::domain::Role;
use registrar::testing::{Backend, Page, TestApp};

use crate::roles::{OTHER_PASSWORD, VIEWER, create_account};

fn has_navigation(page: &Page) -> bool {
    !page.texts("nav[aria-label=Main] a").is_empty()
}

#[tokio::test]
async fn error_pages_keep_the_signed_in_header() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let admin = app.signed_in_browser().await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3").await;
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let viewer = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;

    // A page beyond the role: 403, with the viewer's own navigation.
    let refused = viewer.get("/accounts").await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert!(has_navigation(&refused), "{}", refused.body);
    assert!(
        refused
            .body
            .contains(&format!("Signed in as <strong>{VIEWER}</strong>"))
    );
    // Only what a viewer may use.
    let offered = refused.texts("nav[aria-label=Main] a");
    assert!(offered.iter().any(|a| a == "Students"), "{offered:?}");
    assert!(!offered.iter().any(|a| a == "Accounts"), "{offered:?}");

    // A comparison of versions the record never had: 400, plain words.
    let bad = viewer
        .get(&format!("/students/{id}/history?from=1&to=x"))
        .await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    assert!(has_navigation(&bad));
    let message = bad.text("p.lead").unwrap_or_default();
    assert!(message.contains("cannot be compared"), "{message}");
    assert!(!message.contains('`'), "{message}");

    // A record that does not exist: 404 with the header too.
    let missing = viewer.get("/students/999999").await;
    missing.assert_status(StatusCode::NOT_FOUND);
    assert!(has_navigation(&missing));

    // Signed out: no navigation on the same kind of page.
    let visitor = registrar::testing::Browser::new(&app.base_url);
    let nowhere = visitor.get("/nowhere").await;
    nowhere.assert_status(StatusCode::NOT_FOUND);
    assert!(!has_navigation(&nowhere));
}
