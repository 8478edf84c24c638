//! `GET /metrics` (contract §11): only on the metrics address, off unless
//! asked for, counting this instance's requests by route pattern.

use std::time::Duration;

use axum::http::StatusCode;
use registrar::auth::Throttle;
use registrar::metrics::{
    BUSY, CONFLICTS, PING_SECONDS, POOL_CONNECTIONS, POOL_MAX, REQUEST_SECONDS, REQUESTS, SAVES,
    SIGN_IN_FAILURES, SIGN_IN_THROTTLED, STATEMENT_SECONDS, UNMATCHED,
};
use registrar::testing::{AppOptions, Backend, Browser, PASSWORD, REGISTRAR, TestApp};

use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(
    a_save_a_conflict_and_a_failed_sign_in_are_counted_by_route_pattern,
    a_held_record_and_a_throttled_sign_in_are_counted,
    metrics_are_off_by_default_and_never_on_the_public_address,
);

fn with_metrics() -> AppOptions {
    AppOptions {
        metrics: true,
        ..AppOptions::default()
    }
}

async fn spawn_with(backend: Backend, options: AppOptions) -> Option<TestApp> {
    TestApp::spawn_with(backend, options).await
}

async fn a_save_a_conflict_and_a_failed_sign_in_are_counted_by_route_pattern(backend: Backend) {
    let Some(app) = spawn_with(backend, with_metrics()).await else {
        return;
    };
    let wrong = app.browser().sign_in(REGISTRAR, "not the password").await;
    wrong.assert_status(StatusCode::UNAUTHORIZED);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    // Two forms opened at version 1: the first saves, the second is stale.
    let first = app.edit_form(&browser, id, &[("gpa", "3.5")]).await;
    let second = app.edit_form(&browser, id, &[("gpa", "2.5")]).await;
    first
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    second
        .submit(&browser)
        .await
        .assert_status(StatusCode::CONFLICT);
    browser
        .get("/no/such/page")
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let scrape = app.scrape().await;
    let requests = |method: &str, route: &str, status: &str| {
        scrape.value(
            REQUESTS,
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("POST", "/students/{id}", "303"), 1.0);
    assert_eq!(requests("POST", "/students/{id}", "409"), 1.0);
    // The edit form of student `id` is counted under its pattern.
    assert_eq!(requests("GET", "/students/{id}/edit", "200"), 2.0);
    assert_eq!(requests("POST", "/login", "401"), 1.0);
    assert_eq!(requests("POST", "/login", "303"), 1.0);
    assert_eq!(requests("POST", "/students", "303"), 1.0);
    assert_eq!(requests("GET", UNMATCHED, "404"), 1.0);
    let patterns: Vec<&str> = registrar::routes::table()
        .iter()
        .map(|route| route.path)
        .collect();
    for route in scrape.label_values(REQUESTS, "route") {
        assert!(
            route == UNMATCHED || patterns.contains(&route.as_str()),
            "{route} is not a route pattern"
        );
        assert!(!route.contains(&id.to_string()), "{route} is a raw path");
    }
    // Timed as a histogram under the same labels.
    let timed = scrape.value(
        &format!("{REQUEST_SECONDS}_count"),
        &[("route", "/students/{id}"), ("method", "POST")],
    );
    assert_eq!(timed, 2.0);
    assert!(scrape.has(
        &format!("{REQUEST_SECONDS}_bucket"),
        &[("route", "/students/{id}"), ("le", "0.005")]
    ));

    assert_eq!(scrape.value(SAVES, &[("action", "created")]), 1.0);
    assert_eq!(scrape.value(SAVES, &[("action", "updated")]), 1.0);
    assert_eq!(scrape.value(CONFLICTS, &[]), 1.0);
    assert_eq!(scrape.value(BUSY, &[]), 0.0);
    assert_eq!(scrape.value(SIGN_IN_FAILURES, &[]), 1.0);
    assert_eq!(scrape.value(SIGN_IN_THROTTLED, &[]), 0.0);

    // The database as the server sees it.
    assert!(scrape.value(&format!("{STATEMENT_SECONDS}_count"), &[]) >= 10.0);
    assert!(scrape.has(POOL_CONNECTIONS, &[("state", "in_use")]));
    assert!(scrape.has(POOL_CONNECTIONS, &[("state", "idle")]));
    assert!(scrape.value(POOL_CONNECTIONS, &[]) >= 1.0);
    assert_eq!(scrape.value(POOL_MAX, &[]), 10.0);
    let ping = scrape.value(PING_SECONDS, &[]);
    assert!(ping > 0.0 && ping < 5.0, "ping {ping}");

    // An import's rows, written by its background job, count here too.
    let export = browser.get("/students.csv").await;
    let upload = browser
        .upload_csv("students.csv", export.body.replace("1 Main St", "9 New Rd"))
        .await;
    upload.assert_status(StatusCode::SEE_OTHER);
    let path = upload.location().expect("a preview").to_owned();
    browser
        .post_with_token(&path, &[])
        .await
        .assert_redirect_to(&path);
    browser.wait_for_import(&path).await;
    assert_eq!(db_checks::student(&app.db, id).await.address, "9 New Rd");
    let scrape = app.scrape().await;
    assert_eq!(scrape.value(SAVES, &[("action", "imported")]), 1.0);

    // Another instance on the same database counts only its own.
    let other = app.another_instance().await;
    let other_scrape = other.scrape().await;
    assert_eq!(other_scrape.value(SAVES, &[]), 0.0);
    assert_eq!(other_scrape.value(REQUESTS, &[]), 0.0);
}

async fn a_held_record_and_a_throttled_sign_in_are_counted(backend: Backend) {
    let options = AppOptions {
        throttle: Throttle {
            per_username: 2,
            ..Throttle::default()
        },
        lock_timeout: Duration::from_millis(300),
        ..with_metrics()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let form = app.edit_form(&browser, id, &[("gpa", "3.5")]).await;
    let holder = db_checks::hold_lock(&app.db, id).await;
    form.submit(&browser)
        .await
        .assert_status(StatusCode::SERVICE_UNAVAILABLE);
    holder.rollback().await.expect("rollback");

    let guesser = Browser::new(&app.base_url);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(guesser.sign_in("nobody", PASSWORD).await.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );

    let scrape = app.scrape().await;
    assert_eq!(scrape.value(BUSY, &[]), 1.0);
    assert_eq!(
        scrape.value(REQUESTS, &[("route", "/students/{id}"), ("status", "503")]),
        1.0
    );
    assert_eq!(scrape.value(SAVES, &[("action", "updated")]), 0.0);
    assert_eq!(scrape.value(SIGN_IN_FAILURES, &[]), 2.0);
    assert_eq!(scrape.value(SIGN_IN_THROTTLED, &[]), 1.0);
    assert_eq!(
        scrape.value(REQUESTS, &[("route", "/login"), ("status", "429")]),
        1.0
    );
}

async fn metrics_are_off_by_default_and_never_on_the_public_address(backend: Backend) {
    let app = spawn_app!(backend);
    assert!(
        app.metrics_url.is_none(),
        "metrics are off unless asked for"
    );
    let browser = app.signed_in_browser().await;
    browser
        .get("/metrics")
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let Some(app) = spawn_with(backend, with_metrics()).await else {
        return;
    };
    let metrics_url = app.metrics_url.clone().expect("a metrics address");
    assert_ne!(metrics_url, app.base_url);
    let browser = app.signed_in_browser().await;
    let public = browser.get("/metrics").await;
    public.assert_status(StatusCode::NOT_FOUND);
    assert!(!public.body.contains(REQUESTS));
    // The metrics address serves nothing else.
    let operator = Browser::new(&metrics_url);
    operator
        .get("/students")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let scrape = operator.get("/metrics").await;
    scrape.assert_status(StatusCode::OK);
    assert!(
        scrape.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
    );
    assert!(scrape.body.contains(&format!("# TYPE {REQUESTS} counter")));
    // The public 404 for /metrics is itself counted, as unmatched.
    assert_eq!(
        app.scrape()
            .await
            .value(REQUESTS, &[("route", UNMATCHED), ("status", "404")]),
        1.0
    );
}
