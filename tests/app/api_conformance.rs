//! What `scripts/api-fuzz` (Schemathesis driving the OpenAPI document)
//! found, held here so it stays found: a search with a NUL answered `500`
//! on PostgreSQL, and ETags and cursors with leading zeros taken for the
//! ones registrar writes (entity-tags compare character by character, so
//! `"01"` is not version 1, and the document says as much).

use registrar::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_students::{api, create};
use crate::db_checks::student;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    an_api_search_reads_control_characters_as_spaces,
    api_etags_and_cursors_are_read_only_as_registrar_writes_them,
);

async fn an_api_search_reads_control_characters_as_spaces(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Ada Lovelace").await;
    create(&api, "Alan Turing").await;

    for q in [
        "ada%00lovelace",
        "%00",
        "%09ada%0Alovelace%0D",
        "lovelace%1F",
    ] {
        let answer = api.get(&format!("/api/v1/students?q={q}")).await;
        answer.assert_status(StatusCode::OK);
        let items = answer.json()["items"].as_array().unwrap().clone();
        if q == "%00" {
            assert_eq!(items.len(), 2, "{q}: no words, no search");
        } else {
            assert_eq!(items.len(), 1, "{q}");
            assert_eq!(items[0]["id"], id, "{q}");
        }
    }
}

async fn api_etags_and_cursors_are_read_only_as_registrar_writes_them(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Grace Hopper").await;
    create(&api, "Edsger Dijkstra").await;
    let path = format!("/api/v1/students/{id}");

    // `"01"` names no version registrar ever sent: unreadable, nothing written.
    for tag in ["\"01\"", "\"001\""] {
        let refused = api
            .request(
                Method::PATCH,
                &path,
                &[("if-match", tag)],
                Some((
                    "application/merge-patch+json",
                    json!({"gpa": "4.00"}).to_string().into_bytes(),
                )),
            )
            .await;
        refused.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(refused.problem(), "bad-request", "{tag}");
        let deleted = api
            .request(Method::DELETE, &path, &[("if-match", tag)], None)
            .await;
        deleted.assert_status(StatusCode::BAD_REQUEST);
    }
    let row = student(&app.db, id).await;
    assert_eq!((row.version, row.gpa_hundredths), (1, 310));
    assert!(row.deleted_at.is_none());

    // Nor is it the ETag `"1"` a client holds.
    let read = api
        .request(Method::GET, &path, &[("if-none-match", "\"01\"")], None)
        .await;
    read.assert_status(StatusCode::OK);
    let current = api
        .request(Method::GET, &path, &[("if-none-match", "\"1\"")], None)
        .await;
    current.assert_status(StatusCode::NOT_MODIFIED);

    // A cursor is what `next` holds: no sign, no leading zeros.
    let first = api.get("/api/v1/students?limit=1").await;
    let next = first.json()["next"].as_str().unwrap().to_owned();
    api.get(&format!("/api/v1/students?limit=1&after={next}"))
        .await
        .assert_status(StatusCode::OK);
    for bad in [format!("0{next}"), "0".to_owned(), format!("%2B{next}")] {
        for list in ["/api/v1/students?", &format!("{path}/history?")] {
            let answer = api.get(&format!("{list}after={bad}")).await;
            answer.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
            assert!(answer.json()["errors"]["after"].is_string(), "{list}{bad}");
        }
    }
}
