//! `GET /api/v1/changes` over HTTP (contract §13): the page's JSON, the
//! cursor that stays put when nothing is new, the refusals (`400` for a
//! cursor registrar did not give, `422` for a limit or wait out of range or
//! a parameter the feed does not take, `410` for a cursor of another epoch,
//! `401` without a token), the long poll (early when a change lands, on
//! the instance stamping or another; empty after its wait; past the
//! request timeout; at once when the instance stops), a viewer's withheld
//! addresses, and the access log.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::access::ViewKind;
use registrar::db::entities::{access_entry, feed_sequencer};
use registrar::domain::Role;
use registrar::testing::{ApiClient, AppOptions, Backend, REGISTRAR, TestApp};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::{on_every_backend, spawn_app};

on_every_backend!(
    the_feed_answers_its_pages_and_refusals_over_http,
    a_long_poll_answers_when_a_change_lands_and_else_after_its_wait,
    a_long_poll_outlasts_the_request_timeout_and_ends_with_its_instance,
    a_viewer_reads_the_feed_without_confidential_addresses,
);

async fn client(app: &TestApp, cap: Option<Role>) -> ApiClient {
    let token = app.api_token(REGISTRAR, cap).await;
    ApiClient::new(&app.base_url, Some(&token))
}

fn changes(body: &Value) -> &Vec<Value> {
    body["changes"].as_array().expect("changes")
}

async fn the_feed_answers_its_pages_and_refusals_over_http(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let api = client(&app, None).await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    app.edit_student(&browser, ada, &[("gpa", "3.5"), ("reason", "Appeal")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let answer = api.get("/api/v1/changes?limit=2").await;
        answer.assert_status(StatusCode::OK);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let body = answer.json();
        if changes(&body).len() == 2 {
            break body;
        }
        assert!(Instant::now() < deadline, "both changes are stamped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let [created, updated] = &changes(&page)[..] else {
        unreachable!()
    };
    assert_eq!(created["student_id"], ada);
    assert_eq!(
        (&created["version"], &created["action"], &created["by"]),
        (
            &Value::from(1),
            &Value::from("created"),
            &Value::from(REGISTRAR)
        )
    );
    assert!(created["reason"].is_null());
    assert!(created["at"].as_str().expect("at").ends_with('Z'));
    assert_eq!(
        created["student"],
        serde_json::json!({"student_number": null, "name": "Ada", "address": "1 Main St",
            "gpa": "3.00", "confidential": false})
    );
    assert_eq!(
        (&updated["version"], &updated["action"], &updated["reason"]),
        (
            &Value::from(2),
            &Value::from("updated"),
            &Value::from("Appeal")
        )
    );
    assert_eq!(updated["student"]["gpa"], "3.50");
    assert_eq!(page["next"], updated["cursor"]);
    // From the first change's cursor: the second; from `next`: nothing,
    // and the same cursor back.
    let cursor = created["cursor"].as_str().expect("a cursor");
    let rest = api
        .get(&format!("/api/v1/changes?after={cursor}"))
        .await
        .json();
    assert_eq!(changes(&rest).len(), 1);
    assert_eq!(changes(&rest)[0]["version"], 2);
    let next = page["next"].as_str().expect("next");
    let empty = api
        .get(&format!("/api/v1/changes?after={next}"))
        .await
        .json();
    assert!(changes(&empty).is_empty());
    assert_eq!(empty["next"], next);

    // Refusals, each a problem.
    for (query, status, kind, member) in [
        (
            "after=not-a-cursor",
            StatusCode::BAD_REQUEST,
            "bad-request",
            None,
        ),
        ("after=", StatusCode::BAD_REQUEST, "bad-request", None),
        (
            "limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some("limit"),
        ),
        (
            "limit=201",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some("limit"),
        ),
        (
            "wait=26",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some("wait"),
        ),
        (
            "wait=soon",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some("wait"),
        ),
        (
            "afer=x",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some("afer"),
        ),
        (
            "limit=5&limit=6",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some("limit"),
        ),
    ] {
        let answer = api.get(&format!("/api/v1/changes?{query}")).await;
        assert_eq!(answer.status, status, "{query}: {}", answer.body);
        assert_eq!(answer.problem(), kind, "{query}");
        if let Some(member) = member {
            assert!(
                answer.json()["errors"][member].is_string(),
                "{query}: {}",
                answer.body
            );
        }
    }
    let anonymous = ApiClient::new(&app.base_url, None)
        .get("/api/v1/changes")
        .await;
    anonymous.assert_status(StatusCode::UNAUTHORIZED);

    // The OpenAPI document describes the route, its parameters and body.
    let doc = ApiClient::new(&app.base_url, None)
        .get("/api/v1/openapi.json")
        .await
        .json();
    let operation = &doc["paths"]["/api/v1/changes"]["get"];
    let parameters: Vec<&str> = operation["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(parameters, ["after", "limit", "wait"]);
    for status in ["200", "400", "401", "410", "422"] {
        assert!(
            operation["responses"][status].is_object(),
            "{status} documented"
        );
    }
    let page = &doc["components"]["schemas"]["FeedPage"]["properties"];
    assert!(
        page["changes"].is_object() && page["next"].is_object(),
        "{page}"
    );
    let change = &doc["components"]["schemas"]["FeedChange"]["properties"];
    for member in [
        "cursor",
        "student_id",
        "version",
        "action",
        "at",
        "by",
        "reason",
        "student",
    ] {
        assert!(change[member].is_object(), "{member}: {change}");
    }

    // Another epoch (a database restored elsewhere, or renewed): 410, and
    // from the beginning again.
    feed_sequencer::Entity::update_many()
        .col_expr(feed_sequencer::Column::Epoch, Expr::value("renewed"))
        .exec(&app.db)
        .await
        .expect("a new epoch");
    let gone = api.get(&format!("/api/v1/changes?after={next}")).await;
    gone.assert_status(StatusCode::GONE);
    assert_eq!(gone.problem(), "cursor-gone");
    let again = api.get("/api/v1/changes").await.json();
    assert_eq!(changes(&again).len(), 2);
    assert_ne!(again["next"], next);
}

/// The feed's `next` once it holds `count` changes.
async fn next_after(api: &ApiClient, count: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = api.get("/api/v1/changes?limit=200").await.json();
        if changes(&body).len() >= count {
            return body["next"].as_str().expect("next").to_owned();
        }
        assert!(Instant::now() < deadline, "{count} changes are stamped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_long_poll_answers_when_a_change_lands_and_else_after_its_wait(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    // The first instance holds the sequencer's lease; the second only
    // follows the feed's row while somebody waits there.
    let other = app.another_instance().await;
    let here = client(&app, None).await;
    let there = client(&other, None).await;
    let mut next = next_after(&here, 1).await;

    let started = Instant::now();
    let empty = here
        .get(&format!("/api/v1/changes?after={next}&wait=1"))
        .await;
    let waited = started.elapsed();
    empty.assert_status(StatusCode::OK);
    assert!(changes(&empty.json()).is_empty());
    assert_eq!(empty.json()["next"], next.as_str());
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(4),
        "{waited:?}"
    );

    for round in 1..=3 {
        let poll = |api: ApiClient| {
            let path = format!("/api/v1/changes?after={next}&wait=20");
            tokio::spawn(async move {
                let answer = api.get(&path).await;
                (answer, Instant::now())
            })
        };
        let (waiting_here, waiting_there) = (poll(here.clone()), poll(there.clone()));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting_here.is_finished() && !waiting_there.is_finished());
        app.edit_student(&browser, ada, &[("name", &format!("Ada {round}"))])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        let saved = Instant::now();
        for (waiting, whose) in [(waiting_here, "stamping"), (waiting_there, "other")] {
            let (answer, at) = waiting.await.expect("the poll");
            answer.assert_status(StatusCode::OK);
            let body = answer.json();
            assert_eq!(changes(&body).len(), 1, "{whose}: {body}");
            assert_eq!(changes(&body)[0]["version"], round + 1);
            let latency = at.saturating_duration_since(saved);
            println!(
                "{}: round {round}: a waiting reader on the {whose} instance answered {:.0} ms after the save's 303",
                backend.name(),
                latency.as_secs_f64() * 1e3
            );
            assert!(latency < Duration::from_secs(3), "{whose}: {latency:?}");
        }
        let next_page = here
            .get(&format!("/api/v1/changes?after={next}"))
            .await
            .json();
        assert_eq!(changes(&next_page).len(), 1);
        next = next_page["next"].as_str().expect("next").to_owned();
    }
}

async fn a_long_poll_outlasts_the_request_timeout_and_ends_with_its_instance(backend: Backend) {
    let options = AppOptions {
        request_timeout: Duration::from_secs(1),
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let api = client(&app, None).await;
    let next = next_after(&api, 0).await;
    // Three seconds of waiting under a one-second request timeout.
    let started = Instant::now();
    let answer = api
        .get(&format!("/api/v1/changes?after={next}&wait=3"))
        .await;
    answer.assert_status(StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(changes(&answer.json()).is_empty());

    // A reader waiting on an instance that stops is answered at once.
    let other = app.another_instance().await;
    let there = client(&other, None).await;
    let waiting = tokio::spawn(async move {
        let answer = there
            .get(&format!("/api/v1/changes?after={next}&wait=20"))
            .await;
        (answer, Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished());
    let stopping = Instant::now();
    drop(other);
    let (answer, at) = waiting.await.expect("the poll");
    answer.assert_status(StatusCode::OK);
    assert!(changes(&answer.json()).is_empty());
    let took = at.saturating_duration_since(stopping);
    assert!(
        took < Duration::from_secs(3),
        "answered {took:?} after the stop"
    );
}

async fn a_viewer_reads_the_feed_without_confidential_addresses(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let registrar = client(&app, None).await;
    let viewer = client(&app, Some(Role::Viewer)).await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 High St", "3").await;
    // Ada asks for a hold: her earlier address is withheld too, as on her
    // history page.
    let mut form = app.edit_form(&browser, ada, &[]).await;
    form.tick("confidential", true);
    form.submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    next_after(&registrar, 3).await;

    let addresses = |body: &Value| -> Vec<(i64, i64, Option<String>)> {
        changes(body)
            .iter()
            .map(|c| {
                (
                    c["student_id"].as_i64().expect("id"),
                    c["version"].as_i64().expect("version"),
                    c["student"]["address"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    let seen = viewer.get("/api/v1/changes").await;
    seen.assert_status(StatusCode::OK);
    assert_eq!(
        addresses(&seen.json()),
        [
            (ada, 1, None),
            (bob, 1, Some("2 High St".into())),
            (ada, 2, None)
        ]
    );
    let full = registrar.get("/api/v1/changes").await.json();
    assert_eq!(
        addresses(&full),
        [
            (ada, 1, Some("1 Main St".into())),
            (bob, 1, Some("2 High St".into())),
            (ada, 2, Some("1 Main St".into()))
        ]
    );

    // Each page that carried changes is in the access log as an API read
    // with its query; an empty poll is not.
    let next = full["next"].as_str().expect("next");
    viewer
        .get(&format!("/api/v1/changes?after={next}"))
        .await
        .assert_status(StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(10);
    let reads = loop {
        let reads = access_entry::Entity::find()
            .filter(access_entry::Column::Kind.eq(ViewKind::ApiRead))
            .all(&app.db)
            .await
            .expect("the access log");
        let pages = reads.iter().filter(|r| r.query.is_none()).count();
        if pages >= 2 || Instant::now() > deadline {
            break reads;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let later = access_entry::Entity::find()
        .filter(access_entry::Column::Kind.eq(ViewKind::ApiRead))
        .all(&app.db)
        .await
        .expect("the access log");
    assert_eq!(later.len(), reads.len(), "no entry for the empty poll");
    let pages: Vec<(Option<i64>, Option<String>)> = reads
        .iter()
        .filter(|r| r.query.is_none())
        .map(|r| (r.rows, r.query.clone()))
        .collect();
    assert!(
        pages.iter().filter(|(rows, _)| *rows == Some(3)).count() >= 2,
        "the viewer's and the registrar's page of 3: {reads:?}"
    );
}
