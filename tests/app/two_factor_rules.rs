//! Two factors, the rules around them (contract §14): wrong codes count
//! against the sign-in throttle, `--require-two-factor`, turning it off
//! needs the password and a code, an admin's reset is recorded.

use std::time::Duration;

use axum::http::StatusCode;
use registrar::auth::Throttle;
use registrar::db::entities::{login_failure, two_factor_secret};
use registrar::testing::{AppOptions, Backend, PASSWORD, REGISTRAR, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::on_every_backend;
use crate::two_factor::{code_in, enrol, password_only, second_step};

on_every_backend!(
    wrong_codes_count_against_the_sign_in_throttle,
    require_two_factor_sends_a_password_account_to_set_it_up_first,
    turning_two_factor_off_needs_the_password_and_a_code,
    an_admin_resets_a_second_factor_and_it_is_recorded,
);

async fn wrong_codes_count_against_the_sign_in_throttle(backend: Backend) {
    let limit = 3;
    let options = AppOptions {
        throttle: Throttle {
            window: Duration::from_secs(600),
            per_username: limit,
            per_client: 100,
            per_account: 100,
        },
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    let enrolled = enrol(&browser, REGISTRAR).await;
    let guesser = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    for _ in 0..limit {
        second_step(&guesser, "000001")
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        login_failure::Entity::find().count(&app.db).await.unwrap(),
        limit,
        "every wrong code counted"
    );
    // Now even the right code waits, and is told how long, truthfully.
    let refused = second_step(&guesser, &code_in(&enrolled.secret, 1)).await;
    refused.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    assert!(refused.cookie("registrar_session").is_none());
    // The same budget as passwords: a password now is refused too.
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

async fn require_two_factor_sends_a_password_account_to_set_it_up_first(backend: Backend) {
    let options = AppOptions {
        require_two_factor: true,
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let browser = app.browser();
    browser
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/account/two-factor");
    // No other page opens before it is set up.
    for path in ["/students", "/account", "/accounts", "/changes"] {
        browser
            .get(path)
            .await
            .assert_redirect_to("/account/two-factor");
    }
    let page = browser.get("/account/two-factor").await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#two-factor-required").is_some());
    let enrolled = enrol(&browser, REGISTRAR).await;
    browser.get("/students").await.assert_status(StatusCode::OK);
    // From then on it signs in as any account with a second factor.
    let next = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    second_step(&next, &code_in(&enrolled.secret, 1))
        .await
        .assert_redirect_to("/students");
    next.get("/accounts").await.assert_status(StatusCode::OK);
}

async fn turning_two_factor_off_needs_the_password_and_a_code(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    let enrolled = enrol(&browser, REGISTRAR).await;
    let off = |password: &'static str, code: String| {
        let browser = browser.clone();
        async move {
            let page = browser.get("/account/two-factor").await;
            let mut form = page.form("/account/two-factor/disable");
            form.set("password", password).set("code", &code);
            form.submit(&browser).await
        }
    };
    let wrong_password = off("not my password", code_in(&enrolled.secret, 1)).await;
    wrong_password.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_password.field_error("password").is_some());
    let wrong_code = off(PASSWORD, "123".to_owned()).await;
    wrong_code.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_code.field_error("code").is_some());
    assert_eq!(
        two_factor_secret::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );

    off(PASSWORD, code_in(&enrolled.secret, 1))
        .await
        .assert_redirect_to("/account/two-factor");
    assert_eq!(
        two_factor_secret::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    // The password alone signs in again.
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/students");
}

async fn an_admin_resets_a_second_factor_and_it_is_recorded(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // The first account is an admin; Grace is a registrar.
    app.create_registrar("grace", PASSWORD).await;
    let grace = app.signed_in_as("grace", PASSWORD).await;
    enrol(&grace, "grace").await;
    let admin = app.signed_in_browser().await;
    let page = admin.get("/accounts/grace").await;
    assert!(
        page.text("#two-factor-state")
            .unwrap()
            .starts_with("On since")
    );

    // Grace may not reset her own (or anyone's) from the admin pages.
    let token = grace.csrf_token().await;
    grace
        .post_form(
            "/accounts/grace/two-factor/reset",
            &[("csrf_token", &token)],
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(
        two_factor_secret::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );

    page.form("/accounts/grace/two-factor/reset")
        .submit(&admin)
        .await
        .assert_redirect_to("/accounts/grace");
    let after = admin.get("/accounts/grace").await;
    assert!(after.text("#two-factor-state").unwrap().starts_with("Off"));
    assert!(
        after.body.contains("two-factor sign-in reset by an admin"),
        "{}",
        after.body
    );
    assert!(after.body.contains("two-factor sign-in turned on"));
    // Her password alone signs her in again, to set it up anew.
    app.browser()
        .sign_in("grace", PASSWORD)
        .await
        .assert_redirect_to("/students");
}
