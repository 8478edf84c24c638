//! The access log's writer and the process's end (contract §15): a clean
//! shutdown (SIGTERM) writes every entry before the process exits; a
//! `kill -9` loses at most what the last flush interval recorded; a
//! database that cannot be reached for a while loses nothing (the writer
//! keeps its queue and tries again).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::access::ViewKind;
use registrar::db::entities::access_entry;
use registrar::testing::{AppOptions, Backend, Browser, TestApp};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::access_log::eventually_within;
use crate::process::ServerProcess;
use crate::proxy::Proxy;
use crate::resilience::server_address;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_clean_shutdown_loses_no_entry,
    a_kill_9_loses_nothing_older_than_the_flush_interval,
    entries_wait_for_a_database_that_cannot_be_reached,
);

/// Record-page views of `student` in the log.
async fn views_of(db: &DatabaseConnection, student: i64) -> u64 {
    access_entry::Entity::find()
        .filter(access_entry::Column::Kind.eq(ViewKind::Record))
        .filter(access_entry::Column::StudentId.eq(student))
        .count(db)
        .await
        .expect("counting entries")
}

/// `count` views of the student's page, `at_once` at a time.
async fn view(browser: &Browser, student: i64, count: usize, at_once: usize) {
    let path = format!("/students/{student}");
    let mut left = count;
    while left > 0 {
        let now = at_once.min(left);
        let pages = futures_util::future::join_all((0..now).map(|_| browser.get(&path))).await;
        for page in pages {
            page.assert_status(StatusCode::OK);
        }
        left -= now;
    }
}

async fn a_clean_shutdown_loses_no_entry(backend: Backend) {
    let app = spawn_app!(backend);
    let creator = app.signed_in_browser().await;
    let id = app
        .create_student(&creator, "Ada", "1 Main St", "3.0")
        .await;
    let mut server = ServerProcess::start(app.database_url()).await;
    let browser = server.signed_in_browser().await;
    const VIEWS: usize = 300;
    view(&browser, id, VIEWS, 8).await;
    // At once: most of these are still queued.
    server.sigterm();
    let exit = server.exit_status(Duration::from_secs(30)).await;
    assert!(exit.is_some_and(|e| e.success()), "{exit:?}");
    assert_eq!(
        views_of(&app.db, id).await,
        VIEWS as u64,
        "{}",
        backend.name()
    );
}

async fn a_kill_9_loses_nothing_older_than_the_flush_interval(backend: Backend) {
    let app = spawn_app!(backend);
    let creator = app.signed_in_browser().await;
    let id = app
        .create_student(&creator, "Ada", "1 Main St", "3.0")
        .await;
    let server = ServerProcess::start(app.database_url()).await;
    let browser = server.signed_in_browser().await;
    const VIEWS: usize = 100;
    view(&browser, id, VIEWS, 8).await;
    // The flush interval and a margin.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    view(&browser, id, 20, 4).await;
    server.sigkill();
    drop(server);
    let written = views_of(&app.db, id).await;
    assert!(
        written >= VIEWS as u64,
        "{}: only {written} of the {VIEWS} views older than a second survived",
        backend.name()
    );
}

async fn entries_wait_for_a_database_that_cannot_be_reached(backend: Backend) {
    if backend.server_url().is_none() {
        return;
    }
    let proxy = Proxy::start(server_address(backend)).await;
    let options = AppOptions {
        database_via: Some(proxy.address),
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.0")
        .await;
    view(&browser, id, 10, 5).await;
    // Cut before the next flush (most likely: it comes once a second), and
    // long enough for two of them to fail.
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    proxy.restore();
    // The pool reconnects at its own pace (as /healthz does, within 15 s).
    let log = eventually_within(
        Duration::from_secs(20),
        &app.db,
        "the views after the database came back",
        |e| e.iter().filter(|e| e.kind == ViewKind::Record).count() == 10,
    )
    .await;
    assert!(
        log.iter()
            .all(|e| e.student_id == Some(id) || e.student_id.is_none())
    );
}

/// Not a check but a measurement: views as fast as one client makes them
/// for three seconds, then `kill -9`; prints how many of the views of the
/// last second (and of before it) the log lost. Run with
/// `--ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: prints what a kill -9 loses"]
async fn measure_what_a_kill_9_loses() {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        let creator = app.signed_in_browser().await;
        let id = app
            .create_student(&creator, "Ada", "1 Main St", "3.0")
            .await;
        let server = ServerProcess::start(app.database_url()).await;
        let browser = server.signed_in_browser().await;
        let started = Instant::now();
        let mut answered: Vec<Duration> = Vec::new();
        while started.elapsed() < Duration::from_secs(3) {
            browser
                .get(&format!("/students/{id}"))
                .await
                .assert_status(StatusCode::OK);
            answered.push(started.elapsed());
        }
        let killed_at = started.elapsed();
        server.sigkill();
        drop(server);
        let written = views_of(&app.db, id).await as usize;
        let lost = answered.len().saturating_sub(written);
        let last_second = answered
            .iter()
            .filter(|at| killed_at.saturating_sub(**at) <= Duration::from_secs(1))
            .count();
        println!(
            "{}: {} views answered in 3 s, {written} in the log after kill -9: {lost} lost \
             ({last_second} views were answered in the last second)",
            backend.name(),
            answered.len(),
        );
        assert!(lost <= last_second, "more than the last second was lost");
    }
}
