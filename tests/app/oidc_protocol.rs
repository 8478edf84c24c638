//! The university sign-in's protocol against a real provider (contract
//! §14), on every backend: every answer that is not the one this browser's flow
//! awaits is a `4xx` that signs nobody in; keys rotate; a provider down at
//! start comes back by itself; signing out ends the provider's session.

use axum::http::StatusCode;
use registrar::config::PasswordSignIn;
use registrar::testing::{AppOptions, Backend, Browser, PASSWORD, Page};

use crate::oidc_harness::{self as harness, Mode};
use crate::on_every_backend;

on_every_backend!(
    an_answer_this_browser_did_not_ask_for_signs_nobody_in,
    a_token_for_another_audience_is_refused,
    an_expired_token_is_refused,
    a_rotated_signing_key_is_fetched_when_a_token_names_it,
    a_provider_down_at_start_is_said_and_comes_back_by_itself,
    signing_out_of_a_university_session_ends_the_providers_session_too,
    with_passwords_off_only_break_glass_accounts_sign_in_with_one,
    a_university_sign_in_takes_no_second_factor_even_where_one_is_required,
);

fn signed_in_nobody(page: &Page) {
    assert!(
        page.status.is_client_error(),
        "{} {}",
        page.status,
        page.body
    );
    assert!(
        page.cookie("registrar_session")
            .is_none_or(|c| c.is_empty())
    );
}

fn with_state(callback: &str, state: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| match k.as_ref() {
            "state" => (k.into_owned(), state.to_owned()),
            _ => (k.into_owned(), v.into_owned()),
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

async fn an_answer_this_browser_did_not_ask_for_signs_nobody_in(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    // A callback carried to another browser.
    let mine = Browser::new(&app.base_url);
    let callback = harness::authorize(&mine, &provider, "/login/oidc", "reggie")
        .await
        .expect("the provider's redirect back");
    let theirs = Browser::new(&app.base_url);
    let page = theirs.get(&callback).await;
    signed_in_nobody(&page);
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    theirs
        .get("/students")
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // A forged state, in the browser that started the flow.
    let page = mine.get(&with_state(&callback, "forged")).await;
    signed_in_nobody(&page);
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // The right answer once; replayed, refused.
    let browser = Browser::new(&app.base_url);
    let callback = harness::authorize(&browser, &provider, "/login/oidc", "reggie")
        .await
        .unwrap();
    browser.get(&callback).await.assert_redirect_to("/students");
    let replayed = Browser::new(&app.base_url);
    let page = replayed.get(&callback).await;
    signed_in_nobody(&page);

    // The provider says no.
    let browser = Browser::new(&app.base_url);
    let start = browser.get("/login/oidc").await;
    let location = url::Url::parse(start.location().unwrap()).unwrap();
    let state = location
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let page = browser
        .get(&format!(
            "/login/oidc/callback?error=access_denied&state={state}"
        ))
        .await;
    signed_in_nobody(&page);
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("did not sign you in"), "{}", page.body);
}

async fn a_token_for_another_audience_is_refused(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Audience, true, |_| {}).await else {
        return;
    };
    let browser = Browser::new(&app.base_url);
    let page = harness::sign_in(&browser, &provider, "/login/oidc", "reggie").await;
    signed_in_nobody(&page);
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        registrar::accounts::find_by_username(&app.db, "reggie")
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_expired_token_is_refused(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Expired, true, |_| {}).await else {
        return;
    };
    let browser = Browser::new(&app.base_url);
    let page = harness::sign_in(&browser, &provider, "/login/oidc", "reggie").await;
    signed_in_nobody(&page);
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
}

async fn a_rotated_signing_key_is_fetched_when_a_token_names_it(backend: Backend) {
    let Some((app, mut provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await
    else {
        return;
    };
    harness::sign_in(
        &Browser::new(&app.base_url),
        &provider,
        "/login/oidc",
        "reggie",
    )
    .await
    .assert_redirect_to("/students");
    // The same provider with a new key (and a refresh allowed again).
    provider.stop();
    provider.start().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    harness::sign_in(
        &Browser::new(&app.base_url),
        &provider,
        "/login/oidc",
        "reggie",
    )
    .await
    .assert_redirect_to("/students");
}

async fn a_provider_down_at_start_is_said_and_comes_back_by_itself(backend: Backend) {
    let Some((app, mut provider)) = harness::spawn(backend, Mode::Normal, false, |_| {}).await
    else {
        return;
    };
    let browser = Browser::new(&app.base_url);
    let login = browser.get("/login").await;
    login.assert_status(StatusCode::OK);
    assert!(
        login.text("#university-unavailable").is_some(),
        "{}",
        login.body
    );
    browser
        .get("/login/oidc")
        .await
        .assert_status(StatusCode::SERVICE_UNAVAILABLE);

    provider.start().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    harness::sign_in(&browser, &provider, "/login/oidc", "vera")
        .await
        .assert_redirect_to("/students");
    let login = Browser::new(&app.base_url).get("/login").await;
    assert_eq!(
        login.href("#university-sign-in").as_deref(),
        Some("/login/oidc")
    );
}

async fn signing_out_of_a_university_session_ends_the_providers_session_too(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    let browser = Browser::new(&app.base_url);
    harness::sign_in(&browser, &provider, "/login/oidc", "reggie")
        .await
        .assert_redirect_to("/students");
    let out = browser.post_with_token("/logout", &[]).await;
    out.assert_status(StatusCode::SEE_OTHER);
    let location = url::Url::parse(out.location().unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next(),
        Some(format!("{}/session/end", provider.issuer()).as_str())
    );
    let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert!(
        pairs.contains(&("client_id".into(), harness::CLIENT_ID.into())),
        "{pairs:?}"
    );
    assert!(pairs.contains(&(
        "post_logout_redirect_uri".into(),
        format!("{}/login", app.base_url)
    )));
    browser
        .get("/students")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // The provider offers to end its session (its confirmation page).
    let ending = browser.get(location.as_str()).await;
    assert_eq!(ending.status, StatusCode::OK, "{}", ending.body);

    // A password session signs out as it always did.
    app.create_registrar("clerk", PASSWORD).await;
    let clerk = Browser::new(&app.base_url);
    clerk
        .sign_in("clerk", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    clerk
        .post_with_token("/logout", &[])
        .await
        .assert_redirect_to("/login");
}

async fn with_passwords_off_only_break_glass_accounts_sign_in_with_one(backend: Backend) {
    let Some((app, _provider)) = harness::spawn(backend, Mode::Normal, true, |oidc| {
        oidc.password_sign_in = PasswordSignIn::Off;
        oidc.break_glass = vec!["Keeper".to_owned()];
    })
    .await
    else {
        return;
    };
    app.create_registrar("keeper", PASSWORD).await;
    app.create_registrar("clerk", PASSWORD).await;
    let clerk = Browser::new(&app.base_url);
    let page = clerk.sign_in("clerk", PASSWORD).await;
    signed_in_nobody(&page);
    let keeper = Browser::new(&app.base_url);
    keeper
        .sign_in("keeper", PASSWORD)
        .await
        .assert_redirect_to("/students");
}

async fn a_university_sign_in_takes_no_second_factor_even_where_one_is_required(backend: Backend) {
    let options = AppOptions {
        require_two_factor: true,
        ..AppOptions::default()
    };
    let Some((app, provider)) =
        harness::spawn_with(backend, Mode::Normal, true, |_| {}, options).await
    else {
        return;
    };
    // The provider took its own factors: the pages open at once.
    let reggie = Browser::new(&app.base_url);
    harness::sign_in(&reggie, &provider, "/login/oidc", "reggie")
        .await
        .assert_redirect_to("/students");
    reggie.get("/students").await.assert_status(StatusCode::OK);
    // A password account of the same server must set one up first.
    app.create_registrar("clerk", PASSWORD).await;
    let clerk = Browser::new(&app.base_url);
    clerk
        .sign_in("clerk", PASSWORD)
        .await
        .assert_redirect_to("/account/two-factor");
    clerk
        .get("/students")
        .await
        .assert_redirect_to("/account/two-factor");
}
