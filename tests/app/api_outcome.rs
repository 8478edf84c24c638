//! An API write whose `COMMIT` is cut off (contract §10, §13): the client
//! is told `503` "outcome unknown" rather than a guess, and the same
//! request sent again with the same `Idempotency-Key` once the database is
//! back is told the truth — the answer the write committed with, or the
//! write made now — and nothing is ever written twice.

use std::time::Duration;

use registrar::testing::{ApiClient, AppOptions, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_students::{api, create};
use crate::db_checks;
use crate::proxy::{CommitTrap, Proxy};
use crate::resilience::server_address;

/// A `PATCH` with a key whose commit is cut (`forward`: the server got the
/// `COMMIT`), the database out of reach for five seconds.
async fn patch_with_commit_cut(
    backend: Backend,
    forward: bool,
) -> Option<(
    TestApp,
    Proxy,
    ApiClient,
    i64,
    registrar::testing::ApiResponse,
)> {
    backend.server_url()?;
    let proxy = Proxy::start(server_address(backend)).await;
    let options = AppOptions {
        database_via: Some(proxy.address),
        ..AppOptions::default()
    };
    let app = TestApp::spawn_with(backend, options).await?;
    let api = api(&app).await;
    let id = create(&api, "Cut Commit").await;
    // The feed's sequencer commits its stamp of the new student's
    // revision in the background: the next COMMIT must be the write's.
    app.feed_stamped().await;
    proxy.cut_at_next_commit(CommitTrap {
        forward,
        refuse_for: Duration::from_secs(5),
    });
    let answer = send(&api, id).await;
    Some((app, proxy, api, id, answer))
}

async fn send(api: &ApiClient, id: i64) -> registrar::testing::ApiResponse {
    api.request(
        Method::PATCH,
        &format!("/api/v1/students/{id}"),
        &[("if-match", "\"1\""), ("idempotency-key", "cut-commit-1")],
        Some((
            "application/json",
            json!({"gpa": "1.23"}).to_string().into_bytes(),
        )),
    )
    .await
}

/// Sends the request again until the database answers (`503` meanwhile).
async fn send_until_answered(api: &ApiClient, id: i64) -> registrar::testing::ApiResponse {
    for _ in 0..40 {
        let answer = send(api, id).await;
        if answer.status != StatusCode::SERVICE_UNAVAILABLE && answer.status != StatusCode::CONFLICT
        {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the request was never answered");
}

async fn a_cut_commit_that_committed_is_told_by_its_key(backend: Backend) {
    let Some((app, _proxy, api, id, first)) = patch_with_commit_cut(backend, true).await else {
        return;
    };
    // Told at once when the database answered in time (the write's
    // submission was found), else "outcome unknown": never a guess.
    if first.status != StatusCode::OK {
        assert_eq!(
            (first.status, first.problem().as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "outcome-unknown")
        );
    }
    let again = send_until_answered(&api, id).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["version"], 2);
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 2);
}

async fn a_cut_commit_that_did_not_commit_runs_once_when_sent_again(backend: Backend) {
    let Some((app, _proxy, api, id, first)) = patch_with_commit_cut(backend, false).await else {
        return;
    };
    // "Not written" when the database answered in time, else "outcome
    // unknown": never "saved".
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(["unavailable", "outcome-unknown"].contains(&first.problem().as_str()));
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    let again = send_until_answered(&api, id).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.header("idempotent-replayed"), None);
    assert_eq!(again.json()["version"], 2);
    let replay = send(&api, id).await;
    assert_eq!((replay.status, replay.body), (StatusCode::OK, again.body));
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_postgres_api_commit_that_committed_is_told_by_its_key() {
    a_cut_commit_that_committed_is_told_by_its_key(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mysql_api_commit_that_committed_is_told_by_its_key() {
    a_cut_commit_that_committed_is_told_by_its_key(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_postgres_api_commit_that_did_not_commit_runs_once_when_sent_again() {
    a_cut_commit_that_did_not_commit_runs_once_when_sent_again(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mysql_api_commit_that_did_not_commit_runs_once_when_sent_again() {
    a_cut_commit_that_did_not_commit_runs_once_when_sent_again(Backend::MySql).await;
}
