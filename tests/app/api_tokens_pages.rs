//! API tokens in the browser (contract §13): made on `/account` with the
//! password typed again and shown once, listed with their last use,
//! revoked there; admins see and revoke any account's on
//! `/accounts/{username}`; lifetimes capped by `--max-token-days`.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use registrar::auth::tokens::digest;
use registrar::db::entities::{account_change, api_token, login_failure};
use registrar::domain::Role;
use registrar::testing::{AppOptions, Backend, Browser, PASSWORD, Page, REGISTRAR, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::api_tokens::{assert_unauthorized, json, me};
use crate::on_every_backend;
use crate::roles::{OTHER_PASSWORD, create_account};

on_every_backend!(
    a_token_is_made_on_account_with_the_password_and_shown_once,
    a_token_revoked_on_account_stops_at_once,
    an_admin_sees_and_revokes_another_accounts_tokens,
    the_form_caps_lifetimes_and_roles,
);

/// `/account`'s new-token form, filled in (the password left to the caller).
async fn token_form(
    browser: &Browser,
    name: &str,
    role: &str,
    days: &str,
) -> registrar::testing::Form {
    let account = browser.get("/account").await;
    account.assert_status(StatusCode::OK);
    let mut form = account.form("/account/tokens");
    form.set("name", name)
        .choose("role", role)
        .set("days", days);
    form
}

async fn tokens(app: &TestApp) -> Vec<api_token::Model> {
    api_token::Entity::find().all(&app.db).await.unwrap()
}

async fn token_changes(app: &TestApp) -> u64 {
    account_change::Entity::find()
        .filter(account_change::Column::Action.starts_with("token-"))
        .count(&app.db)
        .await
        .unwrap()
}

/// The text of the cell `class` in the listed row of token `id`.
fn cell(page: &Page, id: i64, class: &str) -> String {
    page.text(&format!("tr[data-token=\"{id}\"] .{class}"))
        .unwrap_or_else(|| panic!("no row for token {id}: {}", page.body))
}

async fn a_token_is_made_on_account_with_the_password_and_shown_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    assert!(browser.get("/account").await.text("#no-tokens").is_some());

    // Without the password, or with a wrong one, nothing is made.
    let mut form = token_form(&browser, "degree audit", "viewer", "30").await;
    let blank = form.submit(&browser).await;
    blank.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blank.field_error("token_password").as_deref(),
        Some("Enter your password")
    );
    form.set("password", "not my password");
    let wrong = form.submit(&browser).await;
    wrong.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .field_error("token_password")
            .unwrap()
            .contains("not right")
    );
    // What was typed is kept, but the password.
    let kept = wrong.form("/account/tokens");
    assert_eq!(kept.value("name"), Some("degree audit"));
    assert_eq!(
        (kept.value("role"), kept.value("days")),
        (Some("viewer"), Some("30"))
    );
    assert_eq!(kept.value("password"), Some(""));
    assert!(tokens(&app).await.is_empty());
    assert_eq!(token_changes(&app).await, 0);
    // The wrong password counted as a failed sign-in, as a password change's does.
    assert_eq!(
        login_failure::Entity::find().count(&app.db).await.unwrap(),
        1
    );

    // With it, the token is made and shown, once.
    form.set("password", PASSWORD);
    let made = form.submit(&browser).await;
    made.assert_status(StatusCode::OK);
    let token = made.text("#new-token").expect("the token shown");
    assert!(token.starts_with("rgt_") && token.len() == 47, "{token}");
    let stored = tokens(&app).await;
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(row.token_hash, digest(&token), "only the SHA-256 is kept");
    assert_eq!(
        (row.name.as_str(), row.role),
        ("degree audit", Some(Role::Viewer))
    );
    let lifetime = row.expires_at.unwrap() - row.created_at;
    assert_eq!(lifetime, chrono::Duration::days(30));
    assert_eq!(token_changes(&app).await, 1);

    // Listed, never shown again, not used yet.
    let account = browser.get("/account").await;
    assert!(!account.body.contains(&token), "shown once only");
    assert!(!account.body.contains(&row.token_hash));
    assert_eq!(cell(&account, row.id, "last-used"), "never");
    assert_eq!(cell(&account, row.id, "token-state"), "active");
    assert!(
        account
            .text(&format!("tr[data-token=\"{}\"]", row.id))
            .unwrap()
            .contains("degree audit")
    );

    // Used, it acts as a viewer, and its last use is listed.
    let body = json(&me(&app, &token).await);
    assert_eq!(
        (body["username"].as_str(), body["role"].as_str()),
        (Some(REGISTRAR), Some("viewer"))
    );
    assert_eq!(body["token"]["id"], row.id);
    assert_eq!(body["token"]["name"], "degree audit");
    assert_eq!(body["token"]["role"], "viewer");
    let used = browser.get("/account").await;
    let last_used = cell(&used, row.id, "last-used");
    assert_ne!(last_used, "never");
    let noted = api_token::Entity::find_by_id(row.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let first_use: DateTime<Utc> = noted.last_used_at.expect("the use noted");
    // A second use within the minute is not written again.
    json(&me(&app, &token).await);
    let again = api_token::Entity::find_by_id(row.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.last_used_at, Some(first_use));
}

async fn a_token_revoked_on_account_stops_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    let browser = app.signed_in_browser().await;
    let mut form = token_form(&browser, "nightly", "", "").await;
    form.set("password", PASSWORD);
    let made = form.submit(&browser).await;
    made.assert_status(StatusCode::OK);
    let token = made.text("#new-token").unwrap();
    let id = json(&me(&app, &token).await)["token"]["id"]
        .as_i64()
        .unwrap();
    // Another account's token cannot be revoked from here.
    let clerks = app.api_token("clerk", None).await;
    let clerks_id = json(&me(&app, &clerks).await)["token"]["id"]
        .as_i64()
        .unwrap();
    browser
        .post_with_token(&format!("/account/tokens/{clerks_id}/revoke"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    json(&me(&app, &clerks).await);

    let account = browser.get("/account").await;
    let revoked = account
        .form(&format!("/account/tokens/{id}/revoke"))
        .submit(&browser)
        .await;
    revoked.assert_redirect_to("/account");
    assert_unauthorized(&me(&app, &token).await, "a revoked token");
    let listed = browser.follow(&revoked).await;
    assert!(listed.flash().unwrap().contains("Token revoked"));
    let state = cell(&listed, id, "token-state");
    assert!(
        state.starts_with("revoked") && state.ends_with(REGISTRAR),
        "{state}"
    );
    assert!(
        listed
            .forms()
            .iter()
            .all(|f| f.action != format!("/account/tokens/{id}/revoke")),
        "a revoked token offers no Revoke"
    );
    // Revoking again changes nothing; an unknown id is 404.
    browser
        .post_with_token(&format!("/account/tokens/{id}/revoke"), &[])
        .await
        .assert_redirect_to("/account");
    assert_eq!(token_changes(&app).await, 3, "two made, one revoked");
    browser
        .post_with_token("/account/tokens/999999/revoke", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // A form without its CSRF token revokes nothing.
    let other = app.api_token(REGISTRAR, None).await;
    let other_id = json(&me(&app, &other).await)["token"]["id"]
        .as_i64()
        .unwrap();
    browser
        .post_form(&format!("/account/tokens/{other_id}/revoke"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    json(&me(&app, &other).await);
}

async fn an_admin_sees_and_revokes_another_accounts_tokens(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    let token = app.api_token("clerk", Some(Role::Viewer)).await;
    let id = json(&me(&app, &token).await)["token"]["id"]
        .as_i64()
        .unwrap();
    let admin = app.signed_in_browser().await;
    let page = admin.get("/accounts/clerk").await;
    page.assert_status(StatusCode::OK);
    assert_ne!(cell(&page, id, "last-used"), "never");
    assert!(page.body.contains("at most viewer"));
    assert!(!page.body.contains(&token));

    // The clerk cannot use the admin's route, even for their own token.
    let clerk = app.signed_in_as("clerk", OTHER_PASSWORD).await;
    clerk
        .post_with_token(&format!("/accounts/clerk/tokens/{id}/revoke"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    json(&me(&app, &token).await);
    // Another account's path does not reach the clerk's token.
    admin
        .post_with_token(&format!("/accounts/{REGISTRAR}/tokens/{id}/revoke"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    json(&me(&app, &token).await);

    let revoked = page
        .form(&format!("/accounts/clerk/tokens/{id}/revoke"))
        .submit(&admin)
        .await;
    revoked.assert_redirect_to("/accounts/clerk");
    assert_unauthorized(&me(&app, &token).await, "revoked by an admin");
    let after = admin.follow(&revoked).await;
    assert!(cell(&after, id, "token-state").ends_with(REGISTRAR));
    // The account's changes say who made it and who revoked it.
    let changes = after.texts("table.changes tbody tr");
    assert!(
        changes[0].contains(REGISTRAR) && changes[0].contains("revoked"),
        "{changes:?}"
    );
    assert!(
        changes[1].contains("command line") && changes[1].contains("made"),
        "{changes:?}"
    );
}

async fn the_form_caps_lifetimes_and_roles(backend: Backend) {
    let options = AppOptions {
        max_token_days: 30,
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    for (days, message) in [
        ("31", "at most 30 days"),
        ("0", "at least 1 day"),
        ("ten", "whole number"),
    ] {
        let mut form = token_form(&browser, "too long", "", days).await;
        form.set("password", PASSWORD);
        let refused = form.submit(&browser).await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let error = refused.field_error("token_days").unwrap_or_default();
        assert!(error.contains(message), "{days}: {error}");
    }
    let mut blank = token_form(&browser, "longest", "", "").await;
    blank.set("password", PASSWORD);
    blank.submit(&browser).await.assert_status(StatusCode::OK);
    let made = tokens(&app).await;
    assert_eq!(made.len(), 1, "only the blank one was made");
    assert_eq!(
        made[0].expires_at.unwrap() - made[0].created_at,
        chrono::Duration::days(30)
    );

    // A viewer is offered no cap above their role, and one posted is refused.
    create_account(&app, "vera", OTHER_PASSWORD, Role::Viewer).await;
    let viewer = app.signed_in_as("vera", OTHER_PASSWORD).await;
    let form = viewer.get("/account").await.form("/account/tokens");
    assert_eq!(form.options("role").unwrap(), ["", "viewer"]);
    let mut above = form.clone();
    above
        .set("name", "sneaky")
        .set("password", OTHER_PASSWORD)
        .remove("role")
        .add("role", "registrar");
    let refused = above.submit(&viewer).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("token_role").is_some());
    assert_eq!(tokens(&app).await.len(), 1);
}
