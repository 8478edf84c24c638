//! Nothing a database hiccup, a crash or a crowd does may lose an edit:
//! killed connections, held locks, an unreachable database, a killed or
//! stopped server process, several instances on one database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::db::entities::{revision, student, student_count};
use registrar::testing::{AppOptions, Backend, Browser, Outcomes, TestApp, concurrently};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};

use crate::process::ServerProcess;
use crate::proxy::Proxy;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_save_stuck_behind_a_held_lock_is_answered_busy_with_its_values_kept,
    a_server_killed_mid_write_leaves_a_consistent_database,
    sigterm_lets_the_request_in_flight_finish_and_exits_zero,
);

/// Every record's version counts exactly its update revisions, its
/// revisions are 1..=version with no gap, and the live count is exact.
async fn assert_consistent(db: &DatabaseConnection) {
    let students = student::Entity::find().all(db).await.expect("query");
    for s in &students {
        let versions: Vec<i64> = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(s.id))
            .all(db)
            .await
            .expect("query")
            .into_iter()
            .map(|r| r.version)
            .collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (1..=s.version).collect::<Vec<_>>(),
            "student {} at version {}",
            s.id,
            s.version
        );
    }
    let live = students.iter().filter(|s| s.deleted_at.is_none()).count() as i64;
    let kept = student_count::Entity::find_by_id(1)
        .one(db)
        .await
        .expect("query")
        .map(|c| c.live);
    assert_eq!(kept, Some(live), "the kept live count");
}

async fn a_save_stuck_behind_a_held_lock_is_answered_busy_with_its_values_kept(backend: Backend) {
    let options = AppOptions {
        lock_timeout: Duration::from_millis(500),
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");
    let mut form = browser.get(&format!("{path}/edit")).await.form(&path);
    form.set("name", "Ada Lovelace").set("gpa", "3.75");

    let holder = crate::db_checks::hold_lock(&app.db, id).await;
    let started = Instant::now();
    let busy = form.submit(&browser).await;
    let waited = started.elapsed();
    busy.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(waited < Duration::from_secs(4), "answered after {waited:?}");
    assert!(busy.headers.contains_key("retry-after"));
    let notice = busy
        .text("#notice")
        .unwrap_or_else(|| panic!("no notice in {}", busy.body));
    assert!(notice.contains("Nothing was saved"), "{notice}");
    let kept = busy.form(&path);
    assert_eq!(kept.value("name"), Some("Ada Lovelace"));
    assert_eq!(kept.value("gpa"), Some("3.75"));
    assert_eq!(kept.value("version"), Some("1"));
    holder.rollback().await.unwrap();

    // Submitted again once the lock is gone, it saves.
    kept.submit(&browser).await.assert_redirect_to(&path);
    assert_eq!(crate::db_checks::student(&app.db, id).await.version, 2);
}

async fn a_server_killed_mid_write_leaves_a_consistent_database(backend: Backend) {
    let app = spawn_app!(backend);
    let kit = app.signed_in_browser().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(
            app.create_student(&kit, &format!("Student {i}"), "1 Main St", "3")
                .await,
        );
    }
    let server = ServerProcess::start(app.database_url()).await;
    let mut browsers = Vec::new();
    for _ in &ids {
        browsers.push(server.signed_in_browser().await);
    }
    let writers: Vec<_> = ids
        .iter()
        .zip(browsers)
        .map(|(&id, browser)| {
            tokio::spawn(async move {
                let path = format!("/students/{id}");
                let mut saved = 0_u64;
                for round in 0.. {
                    let Ok(edit) = browser.try_get(&format!("{path}/edit")).await else {
                        break;
                    };
                    if edit.status != StatusCode::OK {
                        break;
                    }
                    let mut form = edit.form(&path);
                    form.set("gpa", if round % 2 == 0 { "2.5" } else { "3.5" });
                    match browser.try_submit(&form).await {
                        Ok(page) if page.status == StatusCode::SEE_OTHER => saved += 1,
                        Ok(page) => assert!(!page.status.is_server_error(), "{}", page.status),
                        Err(_) => break,
                    }
                }
                saved
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.sigkill();
    let mut saved = 0;
    for writer in writers {
        saved += writer.await.expect("a writer panicked");
    }
    assert!(saved > 0, "no save happened before the kill");
    assert_consistent(&app.db).await;
}

async fn sigterm_lets_the_request_in_flight_finish_and_exits_zero(backend: Backend) {
    let app = spawn_app!(backend);
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let mut server = ServerProcess::start(app.database_url()).await;
    let browser = server.signed_in_browser().await;
    let path = format!("/students/{id}");
    let mut form = browser.get(&format!("{path}/edit")).await.form(&path);
    form.set("name", "Ada Lovelace");

    // The save waits on a lock the test holds; meanwhile the server is told to stop.
    let holder = crate::db_checks::hold_lock(&app.db, id).await;
    let in_flight = tokio::spawn({
        let browser = browser.clone();
        async move { browser.try_submit(&form).await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.sigterm();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        server.exit_status(Duration::ZERO).await.is_none(),
        "it waits for the request in flight"
    );
    holder.rollback().await.unwrap();

    let answer = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    answer.assert_redirect_to(&path);
    let status = server
        .exit_status(Duration::from_secs(10))
        .await
        .expect("the server exits");
    assert!(status.success(), "exit status {status}");
    assert_eq!(
        crate::db_checks::student(&app.db, id).await.name,
        "Ada Lovelace"
    );
}

pub(crate) fn server_address(backend: Backend) -> SocketAddr {
    let url = backend.server_url().expect("a server backend");
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!(
            "{host_port}:{}",
            if backend == Backend::Postgres {
                5432
            } else {
                3306
            }
        )
    };
    host_port
        .replace("localhost", "127.0.0.1")
        .parse()
        .expect("a socket address")
}

async fn health_follows_the_database(backend: Backend) {
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
    browser.get("/healthz").await.assert_status(StatusCode::OK);

    proxy.cut();
    let started = Instant::now();
    let down = browser.get("/healthz").await;
    down.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered after {:?}",
        started.elapsed()
    );
    let page = browser.get("/students").await;
    page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("Busy, try again"));

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let health = browser.get("/healthz").await;
        if health.status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/healthz still {} after the database came back",
            health.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.get("/students").await.assert_status(StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_a_postgres_database_that_goes_away_and_comes_back() {
    health_follows_the_database(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_a_mysql_database_that_goes_away_and_comes_back() {
    health_follows_the_database(Backend::MySql).await;
}

/// Opens the edit form and saves a change; the status of whichever step
/// answered last.
async fn edit_once(browser: &Browser, id: i64, round: u32) -> StatusCode {
    let path = format!("/students/{id}");
    let edit = browser.get(&format!("{path}/edit")).await;
    if edit.status != StatusCode::OK {
        return edit.status;
    }
    let mut form = edit.form(&path);
    form.set(
        "gpa",
        if round.is_multiple_of(2) {
            "2.5"
        } else {
            "3.5"
        },
    );
    form.submit(browser).await.status
}

/// Connections of the app's database, killed from the server's side.
async fn kill_connections(admin: &DatabaseConnection, backend: Backend, database: &str) -> usize {
    match backend {
        Backend::Postgres => admin
            .query_all_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                [database.into()],
            ))
            .await
            .map_or(0, |rows| rows.len()),
        _ => {
            let rows = admin
                .query_all_raw(Statement::from_sql_and_values(
                    sea_orm::DbBackend::MySql,
                    "SELECT ID AS id FROM information_schema.processlist WHERE DB = ? AND ID <> CONNECTION_ID()",
                    [database.into()],
                ))
                .await
                .unwrap_or_default();
            let mut killed = 0;
            for row in rows {
                let id = row
                    .try_get::<u64>("", "id")
                    .or_else(|_| row.try_get::<i64>("", "id").map(|id| id as u64));
                if let Ok(id) = id
                    && admin.execute_unprepared(&format!("KILL {id}")).await.is_ok() {
                        killed += 1;
                    }
            }
            killed
        }
    }
}

async fn killed_connections(backend: Backend) {
    let app = Arc::new(spawn_app!(backend));
    let kit = app.signed_in_browser().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            app.create_student(&kit, &format!("Student {i}"), "1 Main St", "3")
                .await,
        );
    }
    let database = app
        .database_url()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let admin = sea_orm::Database::connect(backend.server_url().unwrap())
        .await
        .expect("admin connection");

    let browsers = app.signed_in_browsers(6).await;
    let stop = Instant::now() + Duration::from_secs(3);
    let ids = Arc::new(ids);
    let browsers = Arc::new(browsers);
    let load = {
        let (ids, browsers) = (Arc::clone(&ids), Arc::clone(&browsers));
        tokio::spawn(async move {
            concurrently(6, move |i, start| {
                let (ids, browsers) = (Arc::clone(&ids), Arc::clone(&browsers));
                async move {
                    start.wait().await;
                    let mut outcomes = Outcomes::default();
                    let mut round = 0;
                    while Instant::now() < stop {
                        round += 1;
                        outcomes.record(edit_once(&browsers[i], ids[i], round).await);
                    }
                    outcomes
                }
            })
            .await
        })
    };
    let mut kills = 0;
    while Instant::now() < stop - Duration::from_millis(800) {
        tokio::time::sleep(Duration::from_millis(150)).await;
        kills += kill_connections(&admin, backend, &database).await;
    }
    let outcomes = load.await.expect("the load ran");
    println!(
        "{}: killed {kills} connections; outcomes {outcomes:?}",
        backend.name()
    );
    assert!(kills > 0, "no connection was killed");
    let others = outcomes.others(&[
        StatusCode::OK,
        StatusCode::SEE_OTHER,
        StatusCode::CONFLICT,
        StatusCode::SERVICE_UNAVAILABLE,
    ]);
    assert!(others.is_empty(), "unexpected statuses {others:?}");
    assert!(
        outcomes.count(StatusCode::SERVICE_UNAVAILABLE) > 0,
        "killing connections was never noticed"
    );

    // The app recovers by itself: every record saves again.
    for &id in ids.iter() {
        let mut saved = false;
        for _ in 0..20 {
            let page = app.edit_student(&kit, id, &[("name", "Recovered")]).await;
            if page.status == StatusCode::SEE_OTHER {
                saved = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(saved, "student {id} could not be saved after the kills");
    }
    let check = registrar::db::connect(app.database_url(), 2, Duration::from_secs(5))
        .await
        .unwrap();
    assert_consistent(&check).await;
    assert!(student::Entity::find().count(&check).await.unwrap() >= 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_postgres_connections_answer_503_and_lose_nothing() {
    killed_connections(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mysql_connections_answer_503_and_lose_nothing() {
    killed_connections(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgres_database_lose_no_update() {
    let first = Arc::new(spawn_app!(Backend::Postgres));
    let second = Arc::new(first.another_instance().await);
    let third = Arc::new(first.another_instance().await);
    let id = first
        .create_student(&first.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let outcomes = crate::concurrency::hammer(&[Arc::clone(&first), second, third], id).await;
    crate::concurrency::check_nothing_lost(&first, id, &outcomes, "three instances on PostgreSQL")
        .await;
    assert_consistent(&first.db).await;
}
