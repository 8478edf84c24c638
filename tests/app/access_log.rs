//! Who looked (contract §15): every view of a student's record, edit form,
//! delete confirmation, history and comparison, every CSV export (with its
//! query and rows) and every read of the access log is recorded within a
//! second, by viewers, registrars and admins alike; only admins read the
//! log (`/audit/access`, its CSV, "Who viewed this record"), filtered and
//! paged; views of confidential records are marked; the sweeper deletes
//! what is past its retention and keeps the rest.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::Utc;
use registrar::access::retention::{self, Retention};
use registrar::access::{Pending, ViewKind, store};
use registrar::db::entities::access_entry;
use registrar::domain::Role;
use registrar::testing::{Backend, Browser};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};

use crate::roles::{CLERK, OTHER_PASSWORD, VIEWER, create_account};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    every_kind_of_view_is_recorded_with_who_what_and_where,
    every_role_is_recorded_and_only_admins_read_the_log,
    the_log_filters_pages_by_cursor_and_exports_the_same_entries,
    views_of_confidential_records_are_marked,
    the_sweeper_deletes_entries_past_their_retention_and_keeps_the_rest,
);

/// How long an entry may take to be written: the writer's second, and
/// room for a busy machine.
pub const WITHIN: Duration = Duration::from_secs(3);

/// Every entry of the log, oldest first.
pub async fn entries(db: &DatabaseConnection) -> Vec<access_entry::Model> {
    access_entry::Entity::find()
        .order_by_asc(access_entry::Column::Id)
        .all(db)
        .await
        .expect("the access log")
}

/// The log once `done` holds of it, polled until [`WITHIN`] has passed
/// (then the test fails, saying `what`).
pub async fn eventually(
    db: &DatabaseConnection,
    what: &str,
    done: impl Fn(&[access_entry::Model]) -> bool,
) -> Vec<access_entry::Model> {
    eventually_within(WITHIN, db, what, done).await
}

/// [`eventually`], waiting up to `limit`.
pub async fn eventually_within(
    limit: Duration,
    db: &DatabaseConnection,
    what: &str,
    done: impl Fn(&[access_entry::Model]) -> bool,
) -> Vec<access_entry::Model> {
    let deadline = Instant::now() + limit;
    loop {
        let now = entries(db).await;
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "not within {limit:?}: {what}; the log: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn of_kind(entries: &[access_entry::Model], kind: ViewKind) -> Vec<&access_entry::Model> {
    entries.iter().filter(|e| e.kind == kind).collect()
}

async fn every_kind_of_view_is_recorded_with_who_what_and_where(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada Lovelace", "1 Main St", "3.9")
        .await;
    app.edit_student(&browser, id, &[("gpa", "4.0")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Creating and editing opened the edit form once: that is a view too.
    let before = eventually(&app.db, "the edit form's view", |e| {
        of_kind(e, ViewKind::EditForm).len() == 1
    })
    .await;
    assert_eq!(
        before.len(),
        1,
        "only the edit form was viewed: {before:#?}"
    );

    for path in [
        format!("/students/{id}"),
        format!("/students/{id}/edit"),
        format!("/students/{id}/delete"),
        format!("/students/{id}/history"),
        format!("/students/{id}/history?from=1&to=2"),
        "/students.csv?q=ada".to_owned(),
        "/changes.csv?student=".to_owned() + &id.to_string(),
    ] {
        browser.get(&path).await.assert_status(StatusCode::OK);
    }
    // A comparison that cannot be shown shows nothing, and is not a view.
    browser
        .get(&format!("/students/{id}/history?from=1&to=9"))
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let log = eventually(&app.db, "seven more views", |e| e.len() == 8).await;
    let kinds: Vec<ViewKind> = log.iter().skip(1).map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            ViewKind::Record,
            ViewKind::EditForm,
            ViewKind::DeleteForm,
            ViewKind::History,
            ViewKind::Comparison,
            ViewKind::Export,
            ViewKind::ChangeLogExport,
        ]
    );
    for entry in &log {
        assert_eq!(entry.account, registrar::testing::REGISTRAR);
        assert_eq!(entry.client_addr, "127.0.0.1");
        assert!(!entry.confidential);
        assert!((Utc::now() - entry.at).num_seconds() < 60, "{entry:?}");
    }
    for entry in &log[..6] {
        assert_eq!(entry.student_id, Some(id), "{entry:?}");
        assert_eq!((entry.query.as_deref(), entry.rows), (None, None));
    }
    let export = &log[6];
    assert_eq!(export.student_id, None);
    assert_eq!(export.query.as_deref(), Some("q=ada"));
    assert_eq!(export.rows, Some(1), "one student matches");
    let changes = &log[7];
    assert_eq!(changes.query, Some(format!("student={id}")));
    assert_eq!(changes.rows, Some(2), "created, then updated");
}

async fn every_role_is_recorded_and_only_admins_read_the_log(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    create_account(&app, CLERK, OTHER_PASSWORD, Role::Registrar).await;
    let admin = app.signed_in_browser().await;
    let id = app
        .create_student(&admin, "Grace Hopper", "2 Navy Rd", "3.5")
        .await;
    let viewer = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;
    let clerk = app.signed_in_as(CLERK, OTHER_PASSWORD).await;
    viewer
        .get(&format!("/students/{id}/history"))
        .await
        .assert_status(StatusCode::OK);
    clerk
        .get(&format!("/students/{id}"))
        .await
        .assert_status(StatusCode::OK);
    let log = eventually(&app.db, "the viewer's and the clerk's views", |e| {
        e.iter().any(|e| e.account == VIEWER) && e.iter().any(|e| e.account == CLERK)
    })
    .await;
    let viewed = |account: &str| {
        log.iter()
            .find(|e| e.account == account)
            .map(|e| (e.kind, e.student_id))
    };
    assert_eq!(viewed(VIEWER), Some((ViewKind::History, Some(id))));
    assert_eq!(viewed(CLERK), Some((ViewKind::Record, Some(id))));

    // Only admins read the log: others get the refusal page, and nobody
    // signed out gets past the sign-in.
    for (browser, who) in [(&viewer, VIEWER), (&clerk, CLERK)] {
        for path in ["/audit/access", "/audit/access.csv"] {
            let page = browser.get(path).await;
            page.assert_status(StatusCode::FORBIDDEN);
            assert!(!page.body.contains("data-access-entry"), "{who} {path}");
        }
        let history = browser.get(&format!("/students/{id}/history")).await;
        assert!(history.attr("[data-viewers]", "class").is_none(), "{who}");
        let list = browser.get("/students").await;
        assert!(!list.body.contains("href=\"/audit/access\""), "{who}");
    }
    let stranger = app.browser();
    let page = stranger.get("/audit/access").await;
    assert!(
        page.location().is_some_and(|l| l.starts_with("/login")),
        "{page:?}"
    );
    let list = admin.get("/students").await;
    assert!(
        list.body.contains("href=\"/audit/access\""),
        "admins are led there"
    );

    // The admin reads it, which is itself recorded.
    let page = admin.get(&format!("/audit/access?account={VIEWER}")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("tr[data-access-entry]").len(), 1);
    assert_eq!(
        page.attr("tr[data-access-entry]", "data-kind").as_deref(),
        Some("history")
    );
    let history = admin.get(&format!("/students/{id}/history")).await;
    let viewers = history.texts("[data-viewers] tr[data-viewer-entry]");
    assert!(viewers.len() >= 2, "{viewers:?}");
    assert_eq!(
        history.href("a[data-viewers-all]").as_deref(),
        Some(format!("/audit/access?student={id}").as_str())
    );
    let log = eventually(&app.db, "the admin's read of the log", |e| {
        e.iter().any(|e| e.kind == ViewKind::AccessLog)
    })
    .await;
    let read = of_kind(&log, ViewKind::AccessLog);
    assert_eq!(read[0].account, registrar::testing::REGISTRAR);
    assert_eq!(read[0].query.as_deref(), Some("account=vera"));
    // The refused reads were not views of the log.
    assert_eq!(read.len(), 1, "{read:#?}");
}

/// `count` entries straight into the log, an account each of `accounts`
/// in turn, `at` a second apart ending now.
async fn inserted(db: &DatabaseConnection, count: usize, accounts: &[&str], student: i64) {
    let now = Utc::now();
    let entries: Vec<Pending> = (0..count)
        .map(|i| Pending {
            at: now - chrono::Duration::seconds((count - i) as i64),
            account: accounts[i % accounts.len()].to_owned(),
            kind: ViewKind::Record,
            student_id: Some(student + (i % 2) as i64),
            query: None,
            rows: None,
            client_addr: "192.0.2.7".to_owned(),
            confidential: false,
        })
        .collect();
    for chunk in entries.chunks(store::INSERT_CHUNK) {
        store::insert(db, chunk).await.expect("inserting entries");
    }
}

/// Follows `data-access-next` from `path`: every entry id shown, in order.
async fn every_page(browser: &Browser, path: &str) -> (Vec<i64>, usize) {
    let (mut ids, mut pages) = (Vec::new(), 0);
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        let page = browser.get(&path).await;
        page.assert_status(StatusCode::OK);
        pages += 1;
        let document = scraper::Html::parse_document(&page.body);
        let rows = scraper::Selector::parse("tr[data-access-entry]").unwrap();
        ids.extend(document.select(&rows).map(|row| {
            row.value()
                .attr("data-access-entry")
                .and_then(|id| id.parse::<i64>().ok())
                .expect("an entry's id")
        }));
        next = page.href("a[data-access-next]");
    }
    (ids, pages)
}

async fn the_log_filters_pages_by_cursor_and_exports_the_same_entries(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    for account in ["ada", "grace"] {
        create_account(&app, account, OTHER_PASSWORD, Role::Viewer).await;
    }
    inserted(&app.db, 130, &["ada", "grace"], 7).await;

    // Ada's entries: every one once, newest first, 50 a page.
    let (ids, pages) = every_page(&admin, "/audit/access?account=ADA").await;
    assert_eq!((ids.len(), pages), (65, 2), "{ids:?}");
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
    // One student's, and the whole log (its reads of itself come after).
    let (ids, _) = every_page(&admin, "/audit/access?student=8").await;
    assert_eq!(ids.len(), 65);
    let (ids, pages) = every_page(&admin, "/audit/access").await;
    assert!(ids.len() >= 130 && pages == 3, "{} in {pages}", ids.len());

    // Days in the office's zone: everything today, nothing tomorrow.
    let today = Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let page = admin
        .get(&format!("/audit/access?since={tomorrow}&account=grace"))
        .await;
    assert_eq!(page.texts("tr[data-access-entry]").len(), 0);
    let (ids, _) = every_page(
        &admin,
        &format!("/audit/access?until={tomorrow}&since={today}&account=grace"),
    )
    .await;
    // (Entries a second apart over 130 s may straddle midnight.)
    assert!(ids.len() <= 65 && !ids.is_empty());

    // A filter that cannot be read says which, and shows nothing.
    for (query, field) in [
        ("since=yesterday", "since"),
        ("until=2026-02-30", "until"),
        ("student=x", "student"),
        ("account=no%20spaces", "account"),
        ("since=2026-12-08&until=2026-12-07", "since"),
    ] {
        let page = admin.get(&format!("/audit/access?{query}")).await;
        page.assert_status(StatusCode::BAD_REQUEST);
        assert!(page.field_error(field).is_some(), "{query}: {}", page.body);
        assert!(page.texts("tr[data-access-entry]").is_empty());
        admin
            .get(&format!("/audit/access.csv?{query}"))
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }

    // The CSV: the same entries, its header stable.
    let csv = admin.get("/audit/access.csv?account=grace").await;
    csv.assert_status(StatusCode::OK);
    let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,at,account,kind,student_id,query,rows,client_addr,confidential"
    );
    assert_eq!(lines.len(), 66);
    assert!(
        lines[1].contains(",grace,record,8,,,192.0.2.7,false"),
        "{}",
        lines[1]
    );
    let log = eventually(&app.db, "the CSV's read, with its rows", |e| {
        e.iter()
            .any(|e| e.kind == ViewKind::AccessLogExport && e.rows == Some(65))
    })
    .await;
    let export = of_kind(&log, ViewKind::AccessLogExport);
    assert_eq!(
        export.last().unwrap().query.as_deref(),
        Some("account=grace")
    );
}

async fn views_of_confidential_records_are_marked(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let admin = app.signed_in_browser().await;
    let hidden = app
        .create_student(&admin, "Hidden Person", "3 Quiet Ln", "3.0")
        .await;
    let open = app
        .create_student(&admin, "Open Person", "4 Loud St", "3.0")
        .await;
    // Main wires the field through the forms; here it is set behind the
    // app's back.
    app.db
        .execute_unprepared(&format!(
            "UPDATE students SET confidential = true WHERE id = {hidden}"
        ))
        .await
        .expect("marking the student confidential");
    let viewer = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;
    for id in [hidden, open] {
        viewer
            .get(&format!("/students/{id}"))
            .await
            .assert_status(StatusCode::OK);
    }
    let log = eventually(&app.db, "the viewer's two views", |e| {
        e.iter().filter(|e| e.account == VIEWER).count() == 2
    })
    .await;
    let marked = |id: i64| {
        log.iter()
            .find(|e| e.account == VIEWER && e.student_id == Some(id))
            .map(|e| e.confidential)
    };
    assert_eq!((marked(hidden), marked(open)), (Some(true), Some(false)));

    let page = admin.get(&format!("/audit/access?account={VIEWER}")).await;
    assert_eq!(
        page.attr("tr[data-confidential=\"true\"]", "data-student"),
        Some(hidden.to_string())
    );
    assert_eq!(page.texts("tr[data-confidential=\"true\"]").len(), 1);
    assert!(page.text("tr.confidential .confidential-mark").is_some());
    let history = admin.get(&format!("/students/{hidden}/history")).await;
    let viewers = history.texts("[data-viewers] tr[data-confidential=\"true\"]");
    assert!(!viewers.is_empty() && viewers.iter().all(|v| v.contains("Confidential")));
    let csv = admin
        .get(&format!("/audit/access.csv?student={hidden}"))
        .await;
    assert!(
        csv.body
            .lines()
            .any(|l| l.contains(&format!(",{VIEWER},record,{hidden},")) && l.ends_with(",true")),
        "{}",
        csv.body
    );
}

async fn the_sweeper_deletes_entries_past_their_retention_and_keeps_the_rest(backend: Backend) {
    let app = spawn_app!(backend);
    let now = Utc::now();
    let entry = |days: i64, i: i64| Pending {
        at: now - chrono::Duration::days(days) - chrono::Duration::seconds(i),
        account: "ada".to_owned(),
        kind: ViewKind::History,
        student_id: Some(days),
        query: None,
        rows: None,
        client_addr: "192.0.2.1".to_owned(),
        confidential: false,
    };
    // More old entries than one batch deletes, and some kept.
    let old: Vec<Pending> = (0..2_345).map(|i| entry(40, i)).collect();
    let kept: Vec<Pending> = (0..10).map(|i| entry(20, i)).collect();
    for chunk in old.chunks(store::INSERT_CHUNK).chain([kept.as_slice()]) {
        store::insert(&app.db, chunk).await.expect("inserting");
    }
    let deleted = retention::sweep(&app.db, Retention { days: 30 })
        .await
        .expect("the sweep");
    assert_eq!(deleted, 2_345);
    let left = entries(&app.db).await;
    assert_eq!(left.len(), 10);
    assert!(left.iter().all(|e| e.student_id == Some(20)));

    // An instance sweeps at start, with the default of 400 days.
    let ancient: Vec<Pending> = (0..5).map(|i| entry(401, i)).collect();
    store::insert(&app.db, &ancient).await.expect("inserting");
    let _instance = app.another_instance().await;
    eventually(&app.db, "the ancient entries swept", |e| {
        e.len() == 10 && e.iter().all(|e| e.student_id == Some(20))
    })
    .await;
}
