//! A token's role at the API's writes (contract §13): `viewer` tokens
//! cannot write, whether the account is a viewer or the token is capped at
//! viewer on a registrar's account, and a demoted account's tokens lose
//! the write at once; nothing is written, nothing kept.

use axum::http::StatusCode;
use registrar::accounts::changes::Actor;
use registrar::accounts::store::{self, Change};
use registrar::db::entities::{idempotency_key, revision};
use registrar::domain::Role;
use registrar::testing::{ApiClient, ApiResponse, Backend, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::db_checks::student_count;
use crate::roles::{OTHER_PASSWORD, create_account};
use crate::{on_every_backend, spawn_app};

on_every_backend!(viewer_tokens_get_403_on_every_write_and_nothing_is_written);

/// What a refused write could have left behind.
async fn written(app: &TestApp) -> (u64, u64, u64) {
    (
        student_count(&app.db).await,
        revision::Entity::find().count(&app.db).await.unwrap(),
        idempotency_key::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
    )
}

/// The three writes, each with an `Idempotency-Key`.
async fn every_write(api: &ApiClient, id: i64, key: &str) -> Vec<ApiResponse> {
    let path = format!("/api/v1/students/{id}");
    let body =
        |value: serde_json::Value| Some(("application/json", value.to_string().into_bytes()));
    vec![
        api.request(
            reqwest::Method::POST,
            "/api/v1/students",
            &[("idempotency-key", &format!("{key}-post"))],
            body(json!({"name": "Eve", "address": "2 Elm St", "gpa": "4.00"})),
        )
        .await,
        api.request(
            reqwest::Method::PATCH,
            &path,
            &[
                ("if-match", "\"1\""),
                ("idempotency-key", &format!("{key}-patch")),
            ],
            body(json!({"gpa": "1.00"})),
        )
        .await,
        api.request(
            reqwest::Method::DELETE,
            &path,
            &[
                ("if-match", "\"1\""),
                ("idempotency-key", &format!("{key}-delete")),
            ],
            None,
        )
        .await,
    ]
}

fn assert_refused(answers: &[ApiResponse], role: &str, what: &str) {
    for answer in answers {
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.problem(), "not-allowed", "{what}");
        assert!(
            answer.json()["detail"].as_str().unwrap().contains(role),
            "{what}"
        );
    }
}

async fn viewer_tokens_get_403_on_every_write_and_nothing_is_written(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    create_account(&app, "vera", OTHER_PASSWORD, Role::Viewer).await;
    let client = |token: String| ApiClient::new(&app.base_url, Some(&token));
    let clerk = client(app.api_token("clerk", None).await);
    let clerk_as_viewer = client(app.api_token("clerk", Some(Role::Viewer)).await);
    let vera = client(app.api_token("vera", None).await);

    // The clerk's own token writes: the refusals below are the tokens'.
    let created = clerk
        .post(
            "/api/v1/students",
            &json!({"name": "Ada", "address": "1 Main St", "gpa": "3.50"}),
        )
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_i64().unwrap();
    let before = written(&app).await;
    assert_eq!(before.0, 1);

    assert_refused(
        &every_write(&vera, id, "vera").await,
        "viewer",
        "a viewer's token",
    );
    assert_refused(
        &every_write(&clerk_as_viewer, id, "capped").await,
        "viewer",
        "a registrar's token capped at viewer",
    );
    // Both still read.
    vera.get(&format!("/api/v1/students/{id}"))
        .await
        .assert_status(StatusCode::OK);
    clerk_as_viewer
        .get("/api/v1/students")
        .await
        .assert_status(StatusCode::OK);

    // Demoted, the clerk's uncapped token loses the write at once.
    store::change(
        &app.db,
        &Actor::CommandLine,
        "clerk",
        None,
        Change::Role(Role::Viewer),
    )
    .await
    .unwrap();
    assert_refused(
        &every_write(&clerk, id, "demoted").await,
        "viewer",
        "a demoted account's token",
    );

    assert_eq!(written(&app).await, before, "nothing written, nothing kept");
    let ada = clerk.get(&format!("/api/v1/students/{id}")).await;
    assert_eq!(ada.etag_version(), Some(1));
}
