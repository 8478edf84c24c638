//! `Idempotency-Key` (contract §13): the same key with the same request
//! answers what the first answered (`201`, `412`, `422` alike) and writes
//! nothing more; with a different request `422`; one in flight `409`; a
//! claim nobody answered is taken over once its lease is past; a key past its
//! day starts afresh.

use axum::http::HeaderMap;
use registrar::api::idempotency::fingerprint;
use registrar::auth::tokens::digest;
use registrar::db::entities::idempotency_key;
use registrar::testing::{ApiClient, Backend};
use reqwest::{Method, StatusCode};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use crate::api_students::{API_USER, api, create};
use crate::db_checks::{all_revisions, conflicts, student, student_count};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_key_answers_again_what_it_answered_and_writes_nothing_more,
    a_key_in_flight_is_409_and_an_abandoned_claim_is_taken_over,
    a_key_past_its_day_starts_afresh,
);

/// `body` sent to `path` with `method`, `If-Match: version` and `key`.
async fn keyed(
    api: &ApiClient,
    method: Method,
    path: &str,
    version: Option<i64>,
    key: &str,
    body: Option<serde_json::Value>,
) -> registrar::testing::ApiResponse {
    let if_match = version.map(|v| format!("\"{v}\""));
    let mut headers = vec![("idempotency-key", key)];
    if let Some(if_match) = &if_match {
        headers.push(("if-match", if_match));
    }
    let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
    api.request(method, path, &headers, body).await
}

/// Moves the kept `key`'s `column` (when it was claimed or made) to `at`,
/// as if that long had passed.
async fn set_time(
    db: &sea_orm::DatabaseConnection,
    key: &str,
    column: idempotency_key::Column,
    at: chrono::DateTime<chrono::Utc>,
) {
    idempotency_key::Entity::update_many()
        .col_expr(column, sea_orm::sea_query::Expr::value(at))
        .filter(idempotency_key::Column::KeyDigest.eq(digest(key)))
        .exec(db)
        .await
        .unwrap();
}

async fn a_key_answers_again_what_it_answered_and_writes_nothing_more(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let new = json!({"name": "Key Holder", "address": "3 Key St", "gpa": "2.50"});
    let first = keyed(
        &api,
        Method::POST,
        "/api/v1/students",
        None,
        "create-1",
        Some(new.clone()),
    )
    .await;
    first.assert_status(StatusCode::CREATED);
    let again = keyed(
        &api,
        Method::POST,
        "/api/v1/students",
        None,
        "create-1",
        Some(new.clone()),
    )
    .await;
    again.assert_status(StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), Some("\"1\""));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(student_count(&app.db).await, 1);
    // The same key with another request: 422, nothing written.
    let other = keyed(
        &api,
        Method::POST,
        "/api/v1/students",
        None,
        "create-1",
        Some(json!({"name": "Someone Else", "address": "3 Key St", "gpa": "2.50"})),
    )
    .await;
    other.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.problem(), "idempotency-key-reused");
    assert!(other.json()["errors"]["Idempotency-Key"].is_string());
    assert_eq!(student_count(&app.db).await, 1);

    let id = first.json()["id"].as_i64().unwrap();
    let path = format!("/api/v1/students/{id}");
    api.patch(&path, 1, &json!({"gpa": "2.60"}))
        .await
        .assert_status(StatusCode::OK);
    // A stale patch with a key: 412 twice, one conflict entry.
    let patch = json!({"gpa": "2.70"});
    let stale = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(1),
        "stale-1",
        Some(patch.clone()),
    )
    .await;
    stale.assert_status(StatusCode::PRECONDITION_FAILED);
    let stale_again = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(1),
        "stale-1",
        Some(patch.clone()),
    )
    .await;
    stale_again.assert_status(StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale_again.body, stale.body);
    assert_eq!(conflicts(&app.db, id).await.len(), 1);
    // The same key with another If-Match is another request.
    keyed(
        &api,
        Method::PATCH,
        &path,
        Some(2),
        "stale-1",
        Some(patch.clone()),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // A 422 replays too.
    let invalid = json!({"gpa": "9.99"});
    let refused = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(2),
        "bad-1",
        Some(invalid.clone()),
    )
    .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let refused_again = keyed(&api, Method::PATCH, &path, Some(2), "bad-1", Some(invalid)).await;
    assert_eq!(
        (refused_again.status, refused_again.body),
        (refused.status, refused.body)
    );
    // A write with a key, sent again: one revision.
    let saved = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(2),
        "save-1",
        Some(patch.clone()),
    )
    .await;
    saved.assert_status(StatusCode::OK);
    let saved_again = keyed(&api, Method::PATCH, &path, Some(2), "save-1", Some(patch)).await;
    saved_again.assert_status(StatusCode::OK);
    assert_eq!(saved_again.body, saved.body);
    assert_eq!(saved_again.header("etag"), Some("\"3\""));
    assert_eq!(all_revisions(&app.db, id).await, 3);
    // A delete with a key, sent again: 204 twice, one delete.
    for _ in 0..2 {
        keyed(&api, Method::DELETE, &path, Some(3), "delete-1", None)
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }
    assert_eq!(all_revisions(&app.db, id).await, 4);
    // Keys are the account's own: another account's same key is fresh.
    let other =
        crate::api_students::api_as(&app, "api-other", registrar::domain::Role::Registrar).await;
    keyed(
        &other,
        Method::POST,
        "/api/v1/students",
        None,
        "create-1",
        Some(new),
    )
    .await
    .assert_status(StatusCode::CREATED);
    assert_eq!(student_count(&app.db).await, 2);
    // A malformed key is refused before anything happens.
    keyed(
        &api,
        Method::POST,
        "/api/v1/students",
        None,
        "has space",
        Some(json!({})),
    )
    .await
    .assert_status(StatusCode::BAD_REQUEST);
}

async fn a_key_in_flight_is_409_and_an_abandoned_claim_is_taken_over(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Flight Record").await;
    let path = format!("/api/v1/students/{id}");
    let body = json!({"gpa": "1.50"});
    // Another request with this key claimed it a moment ago and is still
    // being answered.
    let mut headers = HeaderMap::new();
    headers.insert("if-match", "\"1\"".parse().unwrap());
    let print = fingerprint(&Method::PATCH, &path, &headers, body.to_string().as_bytes());
    let account = registrar::accounts::find_by_username(&app.db, API_USER)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = registrar::db::now();
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        id: NotSet,
        account_id: Set(account),
        key_digest: Set(digest("flight-1")),
        fingerprint: Set(print),
        claim: Set("another request's claim".into()),
        claimed_at: Set(now),
        created_at: Set(now),
        status: Set(None),
        etag: Set(None),
        location: Set(None),
        body: Set(None),
    })
    .exec(&app.db)
    .await
    .unwrap();
    let in_flight = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(1),
        "flight-1",
        Some(body.clone()),
    )
    .await;
    in_flight.assert_status(StatusCode::CONFLICT);
    assert_eq!(in_flight.problem(), "idempotency-key-in-flight");
    assert_eq!(student(&app.db, id).await.version, 1);
    // That request died without an answer: past the lease, the key is
    // taken over and the write runs, once.
    set_time(
        &app.db,
        "flight-1",
        idempotency_key::Column::ClaimedAt,
        now - chrono::TimeDelta::minutes(10),
    )
    .await;
    let taken_over = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(1),
        "flight-1",
        Some(body.clone()),
    )
    .await;
    taken_over.assert_status(StatusCode::OK);
    let replayed = keyed(&api, Method::PATCH, &path, Some(1), "flight-1", Some(body)).await;
    assert_eq!(
        (replayed.status, replayed.body),
        (StatusCode::OK, taken_over.body)
    );
    assert_eq!(all_revisions(&app.db, id).await, 2);
}

async fn a_key_past_its_day_starts_afresh(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Day Old").await;
    let path = format!("/api/v1/students/{id}");
    let first = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(1),
        "day-1",
        Some(json!({"gpa": "1.25"})),
    )
    .await;
    first.assert_status(StatusCode::OK);
    // Within its day the key, sent with another request, is refused.
    let other = json!({"gpa": "3.75"});
    let reused = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(2),
        "day-1",
        Some(other.clone()),
    )
    .await;
    reused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(student(&app.db, id).await.version, 2);
    // A day and more later the key is forgotten: the same key with that
    // other request is written, once, and its answer kept afresh.
    let long_ago = registrar::db::now() - registrar::api::idempotency::KEPT_FOR;
    set_time(
        &app.db,
        "day-1",
        idempotency_key::Column::CreatedAt,
        long_ago - chrono::TimeDelta::minutes(1),
    )
    .await;
    let fresh = keyed(
        &api,
        Method::PATCH,
        &path,
        Some(2),
        "day-1",
        Some(other.clone()),
    )
    .await;
    fresh.assert_status(StatusCode::OK);
    let replayed = keyed(&api, Method::PATCH, &path, Some(2), "day-1", Some(other)).await;
    assert_eq!(
        (replayed.status, replayed.body),
        (StatusCode::OK, fresh.body)
    );
    assert_eq!(student(&app.db, id).await.version, 3);
    assert_eq!(all_revisions(&app.db, id).await, 3);
    let kept = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::KeyDigest.eq(digest("day-1")))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}
