//! Property: whatever arrives in any form field, path segment, query
//! parameter or body of any route, the answer is never a 5xx, and a
//! request that is refused (4xx) writes nothing.

use std::sync::Mutex;

use axum::http::StatusCode;
use percent_encoding::{NON_ALPHANUMERIC, percent_encode, utf8_percent_encode};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use registrar::db::entities::{registrar as account, revision, session, student};
use registrar::testing::{Backend, Browser, Outcomes, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

use crate::{on_every_backend, spawn_app};

on_every_backend!(no_input_yields_a_5xx_or_a_write_when_refused);

const CASES: u32 = 300;

const GET_ROUTES: &[&str] = &[
    "/",
    "/students",
    "/students.csv",
    "/students/new",
    "/students/{}",
    "/students/{}/edit",
    "/students/{}/delete",
    "/students/{}/history",
    "/login",
    "/setup",
    "/healthz",
    "/static/{}",
    "/changes",
    "/changes.csv",
    "/students/import",
    "/students/import/{}",
    "/students/import/{}/refused.csv",
    "/students/import/{}/rows/{}/merge",
];
const POST_ROUTES: &[&str] = &[
    "/students",
    "/students/{}",
    "/students/{}/delete",
    "/login",
    "/logout",
    "/setup",
    "/students/import",
    "/students/import/{}",
];
const FIELDS: &[&str] = &[
    "name",
    "address",
    "gpa",
    "version",
    "username",
    "password",
    "password_confirm",
    "next",
    "q",
    "page",
    "per_page",
    "sort",
    "after",
    "before",
    "by",
    "action",
    "since",
    "until",
    "student",
    "import",
];

#[derive(Debug, Clone)]
enum Probe {
    Get {
        route: &'static str,
        segment: String,
        query: Vec<(&'static str, String)>,
    },
    GetRawQuery {
        route: &'static str,
        query: Vec<u8>,
    },
    PostForm {
        route: &'static str,
        segment: String,
        fields: Vec<(&'static str, String)>,
        with_token: bool,
    },
    PostBytes {
        route: &'static str,
        segment: String,
        content_type: &'static str,
        body: Vec<u8>,
        with_token: bool,
    },
}

/// Text that hits the edges: empty, numbers near the limits, markup,
/// control characters, and arbitrary Unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
        1 => proptest::sample::select(vec![
            "", " ", "0", "1", "-1", "2", "3.5", "4.01", "1e3", "NaN", "9223372036854775807",
            "9223372036854775808", "99999999999999999999", "%", "_", "<script>", "'; drop table students; --",
            "\u{0}", "\r\n", "//evil.example", "/students", "-gpa", "name", "..", "app.css",
        ])
        .prop_map(str::to_owned),
        1 => "[0-9]{1,3}",
    ]
}

fn segment(student_id: i64) -> impl Strategy<Value = String> {
    prop_oneof![2 => text(), 1 => Just(student_id.to_string())]
}

fn fields() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    proptest::collection::vec((proptest::sample::select(FIELDS), text()), 0..8)
}

fn probe(student_id: i64) -> impl Strategy<Value = Probe> {
    prop_oneof![
        (
            proptest::sample::select(GET_ROUTES),
            segment(student_id),
            fields()
        )
            .prop_map(|(route, segment, query)| Probe::Get {
                route,
                segment,
                query
            }),
        (
            proptest::sample::select(GET_ROUTES),
            proptest::collection::vec(any::<u8>(), 0..60)
        )
            .prop_map(|(route, query)| Probe::GetRawQuery { route, query }),
        (
            proptest::sample::select(POST_ROUTES),
            segment(student_id),
            fields(),
            any::<bool>()
        )
            .prop_map(|(route, segment, fields, with_token)| Probe::PostForm {
                route,
                segment,
                fields,
                with_token
            }),
        (
            proptest::sample::select(POST_ROUTES),
            segment(student_id),
            proptest::sample::select(vec![
                "application/x-www-form-urlencoded",
                "text/plain",
                "application/json",
                ""
            ]),
            proptest::collection::vec(any::<u8>(), 0..200),
            any::<bool>(),
        )
            .prop_map(|(route, segment, content_type, body, with_token)| {
                Probe::PostBytes {
                    route,
                    segment,
                    content_type,
                    body,
                    with_token,
                }
            }),
    ]
}

fn path(route: &str, segment: &str) -> String {
    route.replace(
        "{}",
        &utf8_percent_encode(segment, NON_ALPHANUMERIC).to_string(),
    )
}

/// What a refused request must leave as it was (conflict entries and
/// sign-in failures are written by refusals on purpose).
#[derive(Debug, PartialEq)]
struct Snapshot {
    students: Vec<student::Model>,
    revisions: u64,
    accounts: u64,
    sessions: u64,
}

async fn snapshot(app: &TestApp) -> Snapshot {
    Snapshot {
        students: student::Entity::find()
            .order_by_asc(student::Column::Id)
            .all(&app.db)
            .await
            .expect("query"),
        revisions: revision::Entity::find()
            .count(&app.db)
            .await
            .expect("query"),
        accounts: account::Entity::find().count(&app.db).await.expect("query"),
        sessions: session::Entity::find().count(&app.db).await.expect("query"),
    }
}

async fn send(browser: &Browser, token: &str, probe: &Probe) -> (String, StatusCode) {
    let page = match probe {
        Probe::Get {
            route,
            segment,
            query,
        } => {
            let query = serde_urlencoded::to_string(query).expect("encodes");
            browser
                .get(&format!("{}?{query}", path(route, segment)))
                .await
        }
        Probe::GetRawQuery { route, query } => {
            let path = path(route, "1");
            browser
                .get(&format!(
                    "{path}?q={}",
                    percent_encode(query, NON_ALPHANUMERIC)
                ))
                .await
        }
        Probe::PostForm {
            route,
            segment,
            fields,
            with_token,
        } => {
            let mut fields: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            // Never sign the fuzzing browser out.
            if *with_token && *route != "/logout" {
                fields.push(("csrf_token", token));
            }
            browser.post_form(&path(route, segment), &fields).await
        }
        Probe::PostBytes {
            route,
            segment,
            content_type,
            body,
            with_token,
        } => {
            let mut body = body.clone();
            if *with_token && *route != "/logout" {
                body.extend_from_slice(format!("&csrf_token={token}").as_bytes());
            }
            browser
                .post_raw(&path(route, segment), content_type, body)
                .await
        }
    };
    (page.body, page.status)
}

async fn check(
    app: &TestApp,
    browser: &Browser,
    token: &str,
    probe: Probe,
    seen: &Mutex<Outcomes>,
) -> Result<(), TestCaseError> {
    let before = snapshot(app).await;
    let (body, status) = send(browser, token, &probe).await;
    seen.lock().expect("not poisoned").record(status);
    prop_assert!(
        !status.is_server_error(),
        "{probe:?} answered {status}: {body}"
    );
    if status.is_client_error() {
        let after = snapshot(app).await;
        prop_assert!(
            before == after,
            "{probe:?} was refused with {status} but wrote: {before:?} -> {after:?}"
        );
    }
    Ok(())
}

async fn no_input_yields_a_5xx_or_a_write_when_refused(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let student_id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let token = browser.csrf_token().await;
    let handle = tokio::runtime::Handle::current();
    // A fixed seed keeps CI repeatable; PROPTEST_RNG_SEED=<n> explores others.
    let mut config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(20_261_125);
    }
    let mut runner = TestRunner::new(config);
    let seen = Mutex::new(Outcomes::default());
    let result = runner.run(&probe(student_id), |probe| {
        tokio::task::block_in_place(|| handle.block_on(check(&app, &browser, &token, probe, &seen)))
    });
    println!(
        "{}: statuses seen {:?}",
        backend.name(),
        seen.lock().expect("not poisoned")
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
