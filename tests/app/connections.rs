//! Connections (contract §11): keep-alive never drops a request because of the
//! one before, and answers the HTTP library writes itself carry our headers.

use std::time::Duration;

use axum::http::StatusCode;
use registrar::auth::sessions::COOKIE;
use registrar::testing::{Backend, PASSWORD, REGISTRAR};

use crate::raw::{self, Answer, RawConnection};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_refused_body_sent_late_never_breaks_the_connection,
    answers_written_by_the_http_library_carry_the_security_headers,
);

/// One request sent as many clients send it: the head, a pause, the body.
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
    signed_in: bool,
    extra: &'static str,
    expected: StatusCode,
}

async fn a_refused_body_sent_late_never_breaks_the_connection(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.browser();
    let signed = browser.sign_in(REGISTRAR, PASSWORD).await;
    let cookie = signed.cookie(COOKIE).expect("a session cookie");
    let token = browser.csrf_token().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let form = |name: &str| {
        format!("name={name}&address=x&gpa=1&version=1&csrf_token={token}").into_bytes()
    };
    let case = |what, method, path: String, body: Vec<u8>, signed_in, expected| Case {
        what,
        method,
        path,
        content_type: "application/x-www-form-urlencoded",
        body,
        signed_in,
        extra: "",
        expected,
    };
    let mut too_large = form("Eve");
    too_large.extend(std::iter::repeat_n(b'a', 70 * 1024));
    let cases = vec![
        case(
            "no session",
            "POST",
            "/students".into(),
            form("Eve"),
            false,
            StatusCode::SEE_OTHER,
        ),
        case(
            "no session, an edit",
            "POST",
            format!("/students/{id}"),
            form("Eve"),
            false,
            StatusCode::SEE_OTHER,
        ),
        case(
            "not UTF-8",
            "POST",
            format!("/students/{id}"),
            b"name=%FF&address=x&gpa=1&version=1".to_vec(),
            true,
            StatusCode::BAD_REQUEST,
        ),
        case(
            "wrong token",
            "POST",
            "/students".into(),
            b"name=Eve&address=x&gpa=1&csrf_token=nope".to_vec(),
            true,
            StatusCode::FORBIDDEN,
        ),
        Case {
            extra: "Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n",
            ..case(
                "cross-site",
                "POST",
                "/students".into(),
                form("Eve"),
                true,
                StatusCode::FORBIDDEN,
            )
        },
        case(
            "not a student id",
            "POST",
            "/students/abc".into(),
            form("Eve"),
            true,
            StatusCode::NOT_FOUND,
        ),
        case(
            "no such route",
            "POST",
            "/nope".into(),
            form("Eve"),
            false,
            StatusCode::NOT_FOUND,
        ),
        case(
            "PUT",
            "PUT",
            "/students".into(),
            form("Eve"),
            true,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        case(
            "POST to health",
            "POST",
            "/healthz".into(),
            form("Eve"),
            false,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        case(
            "too large",
            "POST",
            format!("/students/{id}"),
            too_large,
            true,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        Case {
            content_type: "text/plain",
            ..case(
                "text",
                "POST",
                "/students".into(),
                b"name=Eve".to_vec(),
                true,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            )
        },
        Case {
            content_type: "application/json",
            ..case(
                "JSON",
                "POST",
                format!("/students/{id}"),
                br#"{"name":"Eve"}"#.to_vec(),
                true,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            )
        },
    ];

    let mut broken = Vec::new();
    for case in &cases {
        let cookies = if case.signed_in {
            format!("Cookie: {COOKIE}={cookie}\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{cookies}{}\r\n",
            case.method,
            case.path,
            app.address,
            case.content_type,
            case.body.len(),
            case.extra,
        );
        let mut connection = RawConnection::open(app.address).await;
        connection.send(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The server may have closed already (after saying so): a failed
        // write is judged by the answer.
        connection.try_send(&case.body).await;
        let first = connection.read_answer().await;
        let Some(first) = first else {
            broken.push(format!("{}: no answer at all", case.what));
            continue;
        };
        assert_eq!(first.status, case.expected, "{}", case.what);
        if first.says_close() {
            continue;
        }
        connection
            .try_send(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.address).as_bytes())
            .await;
        match connection.read_answer().await {
            Some(Answer { status, .. }) if status == StatusCode::OK => {}
            other => broken.push(format!(
                "{} ({}): the next request got {:?} without `Connection: close` before",
                case.what,
                case.expected,
                other.map(|a| a.status)
            )),
        }
    }
    println!(
        "{} of {} reused connections broken after a refused body",
        broken.len(),
        cases.len()
    );
    assert!(broken.is_empty(), "{broken:#?}");
}

async fn answers_written_by_the_http_library_carry_the_security_headers(backend: Backend) {
    let app = spawn_app!(backend);
    let long_path = format!("/students?q={}", "a".repeat(70 * 1024));
    let big_header = format!("X-Big: {}\r\n", "b".repeat(100 * 1024));
    let requests = [
        (
            "a malformed request line",
            "GET /\x01 HTTP/1.1\r\n\r\n".to_owned(),
            400,
        ),
        (
            "a malformed header",
            "GET / HTTP/1.1\r\nNo colon here\r\n\r\n".to_owned(),
            400,
        ),
        (
            "a long URI",
            format!("GET {long_path} HTTP/1.1\r\nHost: x\r\n\r\n"),
            414,
        ),
        (
            "large headers",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{big_header}\r\n"),
            431,
        ),
    ];
    for (what, request, status) in requests {
        let mut connection = RawConnection::open(app.address).await;
        connection.try_send(request.as_bytes()).await;
        let answer = connection
            .read_answer()
            .await
            .unwrap_or_else(|| panic!("{what}: no answer"));
        assert_eq!(answer.status.as_u16(), status, "{what}");
        raw::assert_security_headers(&answer, what);
        let page = String::from_utf8_lossy(&answer.body);
        assert!(
            page.contains("<h1>") && page.contains(&format!("Status {status}")),
            "{what}: {page}"
        );
        assert!(answer.says_close(), "{what}: the connection ends");
    }
}
