//! Bad requests get clear pages with the right status, change nothing,
//! and never a 5xx.

use axum::http::StatusCode;
use registrar::testing::Backend;

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    bad_ids_and_versions_never_answer_5xx,
    nul_and_control_characters_never_reach_the_database_as_errors,
    bodies_that_are_too_large_not_forms_or_not_utf8_are_refused,
    every_page_carries_the_security_headers,
    health_reports_the_database,
);

async fn bad_ids_and_versions_never_answer_5xx(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;

    for path in [
        "/students/0",
        "/students/-1",
        "/students/abc",
        "/students/1.5",
        "/students/99999999999999999999",
        "/students/%00",
        "/students/999999",
        "/students/999999/edit",
        "/students/999999/history",
        "/students/x/edit",
        "/nope",
    ] {
        let page = browser.get(path).await;
        page.assert_status(StatusCode::NOT_FOUND);
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(page.body.contains("Page not found"), "{path}");
    }
    for path in [
        "/students/0",
        "/students/abc",
        "/students/999999",
        "/students/999999/delete",
    ] {
        browser
            .post_with_token(
                path,
                &[
                    ("name", "A"),
                    ("address", "B"),
                    ("gpa", "1"),
                    ("version", "1"),
                ],
            )
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }

    let path = format!("/students/{id}");
    let fields = |version: Option<&'static str>| {
        let mut f = vec![("name", "Changed"), ("address", "1 Main St"), ("gpa", "3")];
        if let Some(v) = version {
            f.push(("version", v));
        }
        f
    };
    for version in [
        None,
        Some(""),
        Some("abc"),
        Some("1.0"),
        Some(" 1"),
        Some("99999999999999999999"),
    ] {
        let page = browser.post_with_token(&path, &fields(version)).await;
        page.assert_status(StatusCode::BAD_REQUEST);
        assert!(page.body.contains("version"), "{version:?}");
        browser
            .post_with_token(&format!("{path}/delete"), &fields(version)[3..])
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    // Any other integer, from the future or below 1, is a stale form.
    for version in ["7", "0", "-1"] {
        browser
            .post_with_token(&path, &fields(Some(version)))
            .await
            .assert_status(StatusCode::CONFLICT);
        browser
            .post_with_token(&format!("{path}/delete"), &[("version", version)])
            .await
            .assert_status(StatusCode::CONFLICT);
    }
    // Duplicate fields cannot be read as one form.
    browser
        .post_with_token(
            &path,
            &[
                ("name", "A"),
                ("name", "B"),
                ("address", "x"),
                ("gpa", "1"),
                ("version", "1"),
            ],
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let stored = db_checks::student(&app.db, id).await;
    assert_eq!((stored.name.as_str(), stored.version), ("Ada", 1));
}

async fn bodies_that_are_too_large_not_forms_or_not_utf8_are_refused(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");

    let huge = format!("name={}&address=x&gpa=1&version=1", "a".repeat(70 * 1024));
    let page = browser
        .post_raw(
            &path,
            "application/x-www-form-urlencoded",
            huge.into_bytes(),
        )
        .await;
    page.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("Too much data"));

    let page = browser
        .post_raw(&path, "application/json", br#"{"name":"x"}"#.to_vec())
        .await;
    page.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    browser
        .post_raw(
            "/students",
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
        )
        .await
        .assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);

    for body in [
        &b"name=%FF&address=x&gpa=1&version=1"[..],
        b"name=\xff&address=x&gpa=1&version=1",
        b"name=%C3&address=x&gpa=1&version=1",
    ] {
        let page = browser
            .post_raw(&path, "application/x-www-form-urlencoded", body.to_vec())
            .await;
        page.assert_status(StatusCode::BAD_REQUEST);
        assert!(page.body.contains("UTF-8"));
    }
    browser
        .get("/students?q=%FF")
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let stored = db_checks::student(&app.db, id).await;
    assert_eq!((stored.name.as_str(), stored.version), ("Ada", 1));
    assert_eq!(db_checks::student_count(&app.db).await, 1);
}

async fn every_page_carries_the_security_headers(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    for path in [
        "/students".to_owned(),
        format!("/students/{id}"),
        format!("/students/{id}/edit"),
        "/students/nope".to_owned(),
        "/static/app.css".to_owned(),
    ] {
        let page = browser.get(&path).await;
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert!(page.headers.contains_key("referrer-policy"));
        assert!(page.headers.contains_key("x-request-id"));
        assert!(!page.headers.contains_key("server"), "no server banner");
        if !path.starts_with("/static") {
            assert_eq!(page.headers["cache-control"], "no-store", "{path}");
        }
    }
    let css = browser.get("/static/app.css").await;
    css.assert_status(StatusCode::OK);
    assert!(
        css.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    browser
        .get("/static/nope.css")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let odd = browser.get("/static/%FF").await;
    odd.assert_status(StatusCode::NOT_FOUND);
    assert!(
        odd.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The request id in the logs is ours, not the client's.
    let page = browser
        .get_with_headers("/students", &[("x-request-id", "forged")])
        .await;
    assert_ne!(page.headers["x-request-id"], "forged");
    browser.get("/").await.assert_redirect_to("/students");
}

async fn health_reports_the_database(backend: Backend) {
    let app = spawn_app!(backend);
    let page = app.browser().get("/healthz").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.body, "ok");
}

async fn nul_and_control_characters_never_reach_the_database_as_errors(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    browser
        .get("/students?q=%00")
        .await
        .assert_status(StatusCode::OK);
    browser
        .get("/students.csv?q=a%00%1F")
        .await
        .assert_status(StatusCode::OK);
    app.browser()
        .sign_in("ada\0", "x")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.browser()
        .sign_in("\u{1}\0", "x")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    // A stale submission is kept, but not a value the form refuses: the
    // entry says which it was.
    let path = format!("/students/{id}");
    let page = browser
        .post_with_token(
            &path,
            &[
                ("name", "A\0da"),
                ("address", "x"),
                ("gpa", "1"),
                ("version", "7"),
            ],
        )
        .await;
    page.assert_status(StatusCode::CONFLICT);
    let kept = &db_checks::conflicts(&app.db, id).await[0];
    assert_eq!(
        (
            kept.name.as_deref(),
            kept.address.as_deref(),
            kept.refused.as_deref()
        ),
        (None, Some("x"), Some("name"))
    );
    let invalid = browser
        .post_with_token(
            &path,
            &[
                ("name", "A\0da"),
                ("address", "x"),
                ("gpa", "1"),
                ("version", "1"),
            ],
        )
        .await;
    invalid.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
}
