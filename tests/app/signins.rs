//! Sign-in throttling limits wrong guesses, never right ones (contract §9).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::auth::Throttle;
use registrar::db::entities::{login_failure, sign_in_check};
use registrar::testing::{
    AppOptions, Backend, Outcomes, PASSWORD, REGISTRAR, TestApp, concurrently,
};
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, EntityTrait, PaginatorTrait};

use crate::on_every_backend;

on_every_backend!(
    sixty_four_simultaneous_right_passwords_all_get_in,
    sixty_four_simultaneous_wrong_guesses_reach_the_check_at_most_the_limit,
    wrong_guesses_sent_to_two_instances_at_once_are_limited_together,
    a_strangers_guesses_from_elsewhere_do_not_lock_the_registrar_out,
);

/// The production limits, with a window of `window`.
fn production(window: Duration) -> AppOptions {
    AppOptions {
        throttle: Throttle {
            window,
            ..Throttle::default()
        },
        ..AppOptions::default()
    }
}

/// `clients` sign-ins at once as the registrar with `password`; the
/// statuses and every `Retry-After` seen.
async fn sign_in_at_once(
    app: &TestApp,
    clients: usize,
    password: &'static str,
) -> (Outcomes, Vec<u64>) {
    let browsers: Vec<_> = (0..clients).map(|_| app.browser()).collect();
    // Every client has its sign-in form before any submits.
    let mut forms = Vec::new();
    for browser in &browsers {
        let mut form = browser.get("/login").await.form("/login");
        form.set("username", REGISTRAR).set("password", password);
        forms.push(form);
    }
    let attempts = browsers
        .into_iter()
        .zip(forms)
        .map(|(browser, form)| async move {
            let answer = form.submit(&browser).await;
            let retry = answer
                .headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            (answer.status, retry)
        });
    let answers = futures_util::future::join_all(attempts).await;
    let mut outcomes = Outcomes::default();
    let mut retries = Vec::new();
    for (status, retry) in answers {
        outcomes.record(status);
        retries.extend(retry);
    }
    (outcomes, retries)
}

async fn failures(app: &TestApp) -> u64 {
    login_failure::Entity::find().count(&app.db).await.unwrap()
}

async fn sixty_four_simultaneous_right_passwords_all_get_in(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, production(Duration::from_secs(600))).await else {
        return;
    };
    let started = Instant::now();
    let (outcomes, retries) = sign_in_at_once(&app, 64, PASSWORD).await;
    eprintln!(
        "{}: 64 simultaneous right sign-ins: {outcomes:?} in {:?}",
        backend.name(),
        started.elapsed()
    );
    assert_eq!(outcomes.count(StatusCode::SEE_OTHER), 64, "{outcomes:?}");
    assert!(retries.is_empty());
    assert_eq!(failures(&app).await, 0);
    assert_eq!(
        sign_in_check::Entity::find().count(&app.db).await.unwrap(),
        0,
        "no check is left in flight"
    );
}

async fn sixty_four_simultaneous_wrong_guesses_reach_the_check_at_most_the_limit(backend: Backend) {
    // Long enough that the right password below still falls in the window
    // on a loaded machine (at 4 s it once did not), short enough to wait out.
    let window = Duration::from_secs(15);
    let Some(app) = TestApp::spawn_with(backend, production(window)).await else {
        return;
    };
    let limit = Throttle::default().per_username;
    let (outcomes, retries) = sign_in_at_once(&app, 64, "a wrong guess").await;
    eprintln!(
        "{}: 64 simultaneous wrong guesses: {outcomes:?}",
        backend.name()
    );
    assert_eq!(
        outcomes.count(StatusCode::UNAUTHORIZED),
        limit,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.count(StatusCode::TOO_MANY_REQUESTS),
        64 - limit,
        "{outcomes:?}"
    );
    assert_eq!(
        failures(&app).await,
        limit,
        "only checked guesses are counted"
    );
    assert_eq!(retries.len() as u64, 64 - limit);
    assert!(
        retries.iter().all(|r| (1..=window.as_secs()).contains(r)),
        "{retries:?}"
    );

    // The right password is refused too while the pair is throttled (a
    // throttled attempt checks nothing)...
    let locked = app.browser().sign_in(REGISTRAR, PASSWORD).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .text("#login-error")
            .unwrap()
            .contains("Too many failed attempts")
    );
    // ...and Retry-After tells the truth: waiting that long is enough.
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(retry)).await;
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/students");
}

async fn wrong_guesses_sent_to_two_instances_at_once_are_limited_together(backend: Backend) {
    let Some(first) = TestApp::spawn_with(backend, production(Duration::from_secs(600))).await
    else {
        return;
    };
    let second = first.another_instance().await;
    let urls = [first.base_url.clone(), second.base_url.clone()];
    let limit = Throttle::default().per_username;
    let outcomes = concurrently(64, |i, start| {
        let browser = registrar::testing::Browser::new(&urls[i % 2]);
        async move {
            let mut form = browser.get("/login").await.form("/login");
            form.set("username", REGISTRAR)
                .set("password", "a wrong guess");
            start.wait().await;
            let mut outcomes = Outcomes::default();
            outcomes.record(form.submit(&browser).await.status);
            outcomes
        }
    })
    .await;
    eprintln!(
        "{}: 64 wrong guesses on two instances: {outcomes:?}",
        backend.name()
    );
    assert!(
        outcomes.count(StatusCode::UNAUTHORIZED) <= limit,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.count(StatusCode::UNAUTHORIZED) + outcomes.count(StatusCode::TOO_MANY_REQUESTS),
        64,
        "{outcomes:?}"
    );
    assert!(failures(&first).await <= limit);
}

async fn a_strangers_guesses_from_elsewhere_do_not_lock_the_registrar_out(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, production(Duration::from_secs(600))).await else {
        return;
    };
    let throttle = Throttle::default();
    // Guessers at other addresses, as other instances would record them:
    // one address up to its own limit, and others, all short of the
    // account-wide limit.
    let guess = |client: String| login_failure::ActiveModel {
        id: NotSet,
        username_key: Set(REGISTRAR.to_owned()),
        client_addr: Set(client),
        at: Set(registrar::db::now()),
    };
    let mut rows: Vec<_> = (0..throttle.per_username)
        .map(|_| guess("203.0.113.9".to_owned()))
        .collect();
    rows.extend(
        (0..throttle.per_account - throttle.per_username - 1)
            .map(|i| guess(format!("198.51.{}.{}", i / 200, i % 200))),
    );
    login_failure::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .unwrap();
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/students");

    // Only when guesses from everywhere reach the account-wide limit is the
    // account throttled, and only for as long as they stay in the window.
    login_failure::Entity::insert(guess("192.0.2.1".to_owned()))
        .exec(&app.db)
        .await
        .unwrap();
    let locked = app.browser().sign_in(REGISTRAR, PASSWORD).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&retry), "Retry-After {retry}");
}
