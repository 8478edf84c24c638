//! The JSON API's students (contract §13): reads with a strong `ETag` and
//! `304`, `410` for the deleted, create `201`, `PATCH` and `DELETE` under a
//! required `If-Match` (`428`, `412` with `current` and `changes`, kept as a
//! conflict entry), the history, and bad input refused with the right
//! status, writing nothing.

use registrar::db::entities::revision::Action;
use registrar::domain::Role;
use registrar::testing::{ApiClient, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::db_checks::{all_revisions, conflicts, student};
use crate::roles::create_account;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    api_reads_a_student_with_a_strong_etag,
    api_creates_patches_and_deletes_under_if_match,
    a_stale_api_patch_is_412_with_what_changed_and_kept_as_a_conflict,
    api_refuses_bad_input_and_writes_nothing,
    api_lists_by_cursor_and_finds_a_student_number,
    api_history_pages_newest_first,
    a_viewer_token_reads_but_never_writes_nor_sees_a_confidential_address,
    api_reads_are_in_the_access_log,
);

pub const API_USER: &str = "api-registrar";
const API_PASSWORD: &str = "api password 1234";

/// A client with a token of a new account with `role`.
pub async fn api_as(app: &TestApp, username: &str, role: Role) -> ApiClient {
    create_account(app, username, API_PASSWORD, role).await;
    let token = app.api_token(username, None).await;
    ApiClient::new(&app.base_url, Some(&token))
}

/// A client with a registrar's token.
pub async fn api(app: &TestApp) -> ApiClient {
    api_as(app, API_USER, Role::Registrar).await
}

/// Creates a student through the API; its id.
pub async fn create(api: &ApiClient, name: &str) -> i64 {
    let created = api
        .post(
            "/api/v1/students",
            &json!({"name": name, "address": "1 Main St", "gpa": "3.10"}),
        )
        .await;
    created.assert_status(StatusCode::CREATED);
    created.json()["id"].as_i64().expect("an id")
}

async fn api_reads_a_student_with_a_strong_etag(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Ada Lovelace").await;

    let read = api.get(&format!("/api/v1/students/{id}")).await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.header("content-type"), Some("application/json"));
    let body = read.json();
    assert_eq!(body["id"], id);
    assert_eq!(body["name"], "Ada Lovelace");
    assert_eq!(body["gpa"], "3.10");
    assert_eq!(body["student_number"], serde_json::Value::Null);
    assert_eq!(body["confidential"], false);
    assert_eq!(body["version"], 1);
    assert_eq!(body["updated_by"], API_USER);
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let same = api
        .request(
            Method::GET,
            &format!("/api/v1/students/{id}"),
            &[("if-none-match", "\"1\"")],
            None,
        )
        .await;
    same.assert_status(StatusCode::NOT_MODIFIED);
    assert_eq!(same.header("etag"), Some("\"1\""));
    let older = api
        .request(
            Method::GET,
            &format!("/api/v1/students/{id}"),
            &[("if-none-match", "\"7\"")],
            None,
        )
        .await;
    older.assert_status(StatusCode::OK);

    for missing in [
        "/api/v1/students/999999",
        "/api/v1/students/abc",
        "/api/v1/nothing",
    ] {
        let answer = api.get(missing).await;
        answer.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(answer.problem(), "not-found");
    }
    let wrong_method = api
        .request(Method::PUT, &format!("/api/v1/students/{id}"), &[], None)
        .await;
    wrong_method.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.problem(), "method-not-allowed");
}

async fn api_creates_patches_and_deletes_under_if_match(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let created = api
        .post(
            "/api/v1/students",
            &json!({"name": "Grace Hopper", "address": "2 Navy Rd", "gpa": "4", "student_number": "s-100"}),
        )
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/students/{id}").as_str())
    );
    assert_eq!(created.etag_version(), Some(1));
    assert_eq!(created.json()["gpa"], "4.00");
    assert_eq!(created.json()["student_number"], "S-100");
    let path = format!("/api/v1/students/{id}");

    // Without If-Match, or with `*`: 428, nothing written.
    let bare = api
        .request(
            Method::PATCH,
            &path,
            &[],
            Some((
                "application/merge-patch+json",
                b"{\"gpa\":\"3.00\"}".to_vec(),
            )),
        )
        .await;
    bare.assert_status(StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(bare.problem(), "if-match-required");
    let star = api
        .request(
            Method::PATCH,
            &path,
            &[("if-match", "*")],
            Some(("application/json", b"{\"gpa\":\"3.00\"}".to_vec())),
        )
        .await;
    star.assert_status(StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(student(&app.db, id).await.version, 1);

    // A merge patch changes only what it names.
    let patched = api
        .patch(&path, 1, &json!({"gpa": "3.25", "reason": "regraded"}))
        .await;
    patched.assert_status(StatusCode::OK);
    assert_eq!(patched.etag_version(), Some(2));
    let body = patched.json();
    assert_eq!(
        (
            body["gpa"].as_str(),
            body["name"].as_str(),
            body["version"].as_i64()
        ),
        (Some("3.25"), Some("Grace Hopper"), Some(2))
    );
    assert_eq!(body["student_number"], "S-100");
    // Values equal to the stored ones: 200, nothing written.
    let same = api.patch(&path, 2, &json!({"gpa": "3.25"})).await;
    same.assert_status(StatusCode::OK);
    assert_eq!(same.etag_version(), Some(2));
    assert_eq!(all_revisions(&app.db, id).await, 2);
    // `null` clears the student number.
    let cleared = api.patch(&path, 2, &json!({"student_number": null})).await;
    cleared.assert_status(StatusCode::OK);
    assert_eq!(cleared.json()["student_number"], serde_json::Value::Null);

    // DELETE: 428 without If-Match, 412 stale, 204, then 410 with who and when.
    let bare = api.request(Method::DELETE, &path, &[], None).await;
    bare.assert_status(StatusCode::PRECONDITION_REQUIRED);
    api.delete(&path, 1)
        .await
        .assert_status(StatusCode::PRECONDITION_FAILED);
    let deleted = api.delete(&format!("{path}?reason=left"), 3).await;
    deleted.assert_status(StatusCode::NO_CONTENT);
    assert!(deleted.body.is_empty());
    let gone = api.get(&path).await;
    gone.assert_status(StatusCode::GONE);
    assert_eq!(gone.problem(), "deleted");
    let body = gone.json();
    assert_eq!(body["version"], 4);
    assert_eq!(body["deleted_by"], API_USER);
    assert!(body["deleted_at"].as_str().is_some());
    let late = api.patch(&path, 4, &json!({"gpa": "1.00"})).await;
    late.assert_status(StatusCode::GONE);
    let again = api.delete(&path, 4).await;
    again.assert_status(StatusCode::GONE);
    assert_eq!(all_revisions(&app.db, id).await, 4);
    assert_eq!(
        crate::db_checks::revisions(&app.db, id, Action::Deleted).await,
        1
    );
}

async fn a_stale_api_patch_is_412_with_what_changed_and_kept_as_a_conflict(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Alan Turing").await;
    let path = format!("/api/v1/students/{id}");
    api.patch(&path, 1, &json!({"address": "Bletchley Park"}))
        .await
        .assert_status(StatusCode::OK);
    api.patch(&path, 2, &json!({"gpa": "3.90", "reason": "late grade"}))
        .await
        .assert_status(StatusCode::OK);

    let stale = api
        .patch(&path, 1, &json!({"name": "A. M. Turing", "reason": "typo"}))
        .await;
    stale.assert_status(StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.problem(), "stale-version");
    let body = stale.json();
    assert_eq!(body["current"]["version"], 3);
    assert_eq!(body["current"]["name"], "Alan Turing");
    let changes = body["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{body}");
    assert_eq!(changes[0]["version"], 2);
    assert_eq!(changes[0]["action"], "updated");
    assert_eq!(changes[0]["by"], API_USER);
    assert_eq!(changes[0]["fields"]["address"]["old"], "1 Main St");
    assert_eq!(changes[0]["fields"]["address"]["new"], "Bletchley Park");
    assert_eq!(changes[1]["reason"], "late grade");
    assert_eq!(changes[1]["fields"]["gpa"]["new"], "3.90");
    // Nothing written; the request kept in the record's history.
    let now = student(&app.db, id).await;
    assert_eq!((now.version, now.name.as_str()), (3, "Alan Turing"));
    let kept = conflicts(&app.db, id).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].submitted_version, 1);
    assert_eq!(kept[0].name.as_deref(), Some("A. M. Turing"));
    assert_eq!(kept[0].reason.as_deref(), Some("typo"));
}

async fn api_refuses_bad_input_and_writes_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Barbara Liskov").await;
    let path = format!("/api/v1/students/{id}");
    let patch = |content_type: &'static str, body: Vec<u8>| {
        let api = api.clone();
        let path = path.clone();
        async move {
            api.request(
                Method::PATCH,
                &path,
                &[("if-match", "\"1\"")],
                Some((content_type, body)),
            )
            .await
        }
    };
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            "application/json",
            b"[1,2]".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            "application/json",
            b"\"x\"".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            "application/json",
            vec![0xff, 0xfe],
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            "text/plain",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "application/x-www-form-urlencoded",
            b"gpa=3".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "application/json",
            format!("{{\"name\":\"{}\"}}", "x".repeat(70_000)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
    ];
    for (content_type, body, status, problem) in cases {
        let answer = patch(content_type, body).await;
        answer.assert_status(status);
        assert_eq!(answer.problem(), problem);
    }
    let unknown = api
        .patch(
            &path,
            1,
            &json!({"nickname": "Babs", "gpa": 3.5, "confidential": "yes"}),
        )
        .await;
    unknown.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let errors = &unknown.json()["errors"];
    for member in ["nickname", "gpa", "confidential"] {
        assert!(errors[member].is_string(), "{member}: {errors}");
    }
    let invalid = api
        .patch(
            &path,
            1,
            &json!({"name": "", "gpa": "4.50", "student_number": "no spaces", "reason": "x".repeat(300)}),
        )
        .await;
    invalid.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.problem(), "invalid");
    let errors = &invalid.json()["errors"];
    for member in ["name", "gpa", "student_number", "reason"] {
        assert!(errors[member].is_string(), "{member}: {errors}");
    }
    let no_type = api
        .request(Method::POST, "/api/v1/students", &[], None)
        .await;
    no_type.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A member a create does not take is refused before the values are
    // judged; then each value the rules refuse is named.
    let create_reason = api
        .post(
            "/api/v1/students",
            &json!({"name": "A", "address": "B", "gpa": "2.00", "reason": "x"}),
        )
        .await;
    create_reason.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(create_reason.json()["errors"]["reason"].is_string());
    let create_invalid = api
        .post(
            "/api/v1/students",
            &json!({"name": "No Address", "gpa": "7"}),
        )
        .await;
    create_invalid.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let errors = &create_invalid.json()["errors"];
    assert!(
        errors["address"].is_string() && errors["gpa"].is_string(),
        "{errors}"
    );
    for bad in ["\"abc\"", "W/\"1\"", "1", "\"1\", \"2\""] {
        api.request(
            Method::PATCH,
            &path,
            &[("if-match", bad)],
            Some(("application/json", b"{}".to_vec())),
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    }
    assert_eq!(student(&app.db, id).await.version, 1);
    assert_eq!(all_revisions(&app.db, id).await, 1);
    assert_eq!(crate::db_checks::student_count(&app.db).await, 1);
}

async fn api_lists_by_cursor_and_finds_a_student_number(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(create(&api, &format!("Student {n:02}")).await);
    }
    api.patch(
        &format!("/api/v1/students/{}", ids[3]),
        1,
        &json!({"student_number": "n-42"}),
    )
    .await
    .assert_status(StatusCode::OK);

    let mut seen = Vec::new();
    let mut next = None::<String>;
    loop {
        let path = match &next {
            Some(after) => format!("/api/v1/students?limit=3&after={after}"),
            None => "/api/v1/students?limit=3".to_owned(),
        };
        let page = api.get(&path).await;
        page.assert_status(StatusCode::OK);
        let body = page.json();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|s| s["name"].as_str().unwrap().to_owned()));
        match body["next"].as_str() {
            Some(after) => next = Some(after.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).map(|n| format!("Student {n:02}")).collect();
    assert_eq!(seen, expected);

    let found = api.get("/api/v1/students?student_number=N-42").await;
    found.assert_status(StatusCode::OK);
    let items = found.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ids[3]);
    let none = api.get("/api/v1/students?student_number=N-43").await;
    assert_eq!(none.json()["items"].as_array().unwrap().len(), 0);
    let searched = api.get("/api/v1/students?q=student%2005&sort=-name").await;
    assert_eq!(searched.json()["items"][0]["name"], "Student 05");

    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "sort=age",
        "after=-3",
        "student_number=a%20b",
    ] {
        let answer = api.get(&format!("/api/v1/students?{bad}")).await;
        answer.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.json()["errors"].is_object(), "{bad}");
    }
}

async fn api_history_pages_newest_first(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Edsger Dijkstra").await;
    let path = format!("/api/v1/students/{id}");
    for (version, gpa) in [(1, "3.01"), (2, "3.02"), (3, "3.03"), (4, "3.04")] {
        api.patch(&path, version, &json!({"gpa": gpa}))
            .await
            .assert_status(StatusCode::OK);
    }
    let mut versions = Vec::new();
    let mut url = format!("{path}/history?limit=2");
    loop {
        let page = api.get(&url).await;
        page.assert_status(StatusCode::OK);
        let body = page.json();
        for item in body["items"].as_array().unwrap() {
            let version = item["version"].as_i64().unwrap();
            versions.push(version);
            if version > 1 {
                assert_eq!(
                    item["fields"]["gpa"]["new"].as_str(),
                    Some(format!("3.0{}", version - 1).as_str()),
                    "{item}"
                );
                assert!(item["fields"]["gpa"]["old"].is_string(), "{item}");
            } else {
                assert_eq!(item["action"], "created");
            }
        }
        match body["next"].as_str() {
            Some(next) => url = format!("{path}/history?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(versions, [5, 4, 3, 2, 1]);
    api.get("/api/v1/students/424242/history")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn a_viewer_token_reads_but_never_writes_nor_sees_a_confidential_address(backend: Backend) {
    let app = spawn_app!(backend);
    let registrar = api(&app).await;
    let viewer = api_as(&app, "api-viewer", Role::Viewer).await;
    let id = create(&registrar, "Hedy Lamarr").await;
    let path = format!("/api/v1/students/{id}");
    registrar
        .patch(
            &path,
            1,
            &json!({"confidential": true, "address": "Secret Lane 1"}),
        )
        .await
        .assert_status(StatusCode::OK);

    let read = viewer.get(&path).await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.json()["address"], serde_json::Value::Null);
    assert_eq!(read.json()["confidential"], true);
    let listed = viewer.get("/api/v1/students").await;
    assert_eq!(
        listed.json()["items"][0]["address"],
        serde_json::Value::Null
    );
    let history = viewer.get(&format!("{path}/history")).await;
    assert!(!history.body.contains("Secret Lane"), "{}", history.body);
    assert!(!history.body.contains("1 Main St"), "{}", history.body);
    assert!(registrar.get(&path).await.body.contains("Secret Lane 1"));

    for answer in [
        viewer
            .post(
                "/api/v1/students",
                &json!({"name": "X", "address": "Y", "gpa": "1.00"}),
            )
            .await,
        viewer.patch(&path, 2, &json!({"gpa": "1.00"})).await,
        viewer.delete(&path, 2).await,
    ] {
        answer.assert_status(StatusCode::FORBIDDEN);
        assert_eq!(answer.problem(), "not-allowed");
    }
    assert_eq!(student(&app.db, id).await.version, 2);
    assert_eq!(crate::db_checks::student_count(&app.db).await, 1);
}

async fn api_reads_are_in_the_access_log(backend: Backend) {
    let app = spawn_app!(backend);
    let api = api(&app).await;
    let id = create(&api, "Logged Read").await;
    let path = format!("/api/v1/students/{id}");
    api.get(&path).await.assert_status(StatusCode::OK);
    api.get(&format!("{path}/history"))
        .await
        .assert_status(StatusCode::OK);
    api.get("/api/v1/students?q=logged")
        .await
        .assert_status(StatusCode::OK);
    let reads = |entries: &[registrar::db::entities::access_entry::Model]| {
        entries
            .iter()
            .filter(|e| e.kind == registrar::access::ViewKind::ApiRead)
            .map(|e| (e.account.clone(), e.student_id, e.query.clone(), e.rows))
            .collect::<Vec<_>>()
    };
    let entries = crate::access_log::eventually(&app.db, "three API reads", |entries| {
        reads(entries).len() == 3
    })
    .await;
    let mut reads = reads(&entries);
    reads.sort();
    assert_eq!(
        reads,
        [
            (
                API_USER.to_owned(),
                None,
                Some("q=logged".to_owned()),
                Some(1)
            ),
            (API_USER.to_owned(), Some(id), None, None),
            (API_USER.to_owned(), Some(id), None, None),
        ]
    );
}
