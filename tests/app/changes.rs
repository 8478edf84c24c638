//! The office's change log (contract §12, "What the office did"):
//! `GET /changes` and `/changes.csv` over real HTTP, on every backend.
//! Every committed change to any student, newest first, paged by cursor;
//! its filters; an import as one entry that opens its rows; "My changes"
//! as the log by oneself; viewers read it; bad filters are a `400`.

use std::collections::HashSet;

use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use registrar::db::entities::{import_entry, revision};
use registrar::domain::Role;
use registrar::students::import::parse::unneutralise;
use registrar::testing::{Backend, Browser, HistoryAction, LogEntry, PASSWORD, REGISTRAR, TestApp};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::roles::{OTHER_PASSWORD, VIEWER, create_account};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    the_log_shows_every_change_to_any_student,
    each_filter_narrows_the_log,
    pages_by_cursor_neither_repeat_nor_skip,
    an_import_is_one_entry_that_opens_its_rows,
    the_csv_matches_the_page,
    bad_filters_are_a_400_that_says_which,
);

const GRACE: &str = "grace";

async fn with_grace(app: &TestApp) -> (Browser, Browser) {
    app.create_registrar(GRACE, PASSWORD).await;
    let admin = app.signed_in_browser().await;
    let grace = app.signed_in_as(GRACE, PASSWORD).await;
    (admin, grace)
}

/// Every entry of the log from `path` on, following its Older links.
async fn walk(browser: &Browser, path: &str) -> Vec<LogEntry> {
    let mut entries = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        let page = browser.get(&path).await;
        page.assert_status(StatusCode::OK);
        let log = page.change_log();
        assert!(log.entries.len() <= 50, "{path}: {}", log.entries.len());
        if log.older.is_some() {
            assert_eq!(log.entries.len(), 50, "a page before the last is full");
        }
        entries.extend(log.entries);
        next = log.older;
    }
    entries
}

/// `(action, registrar, student, version)` of each entry.
fn summary(entries: &[LogEntry]) -> Vec<(HistoryAction, &str, Option<i64>, Option<i64>)> {
    entries
        .iter()
        .map(|e| (e.action, e.registrar.as_str(), e.student_id, e.version))
        .collect()
}

async fn delete(browser: &Browser, id: i64, reason: &str) {
    let show = browser.get(&format!("/students/{id}/delete")).await;
    let mut delete = show.form(&format!("/students/{id}/delete"));
    delete.set("reason", reason);
    delete
        .submit(browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// Uploads `csv` as `browser`, confirms it (with `fields`, such as
/// `all_or_nothing`) and waits for the job; the import's id.
pub(crate) async fn import(
    browser: &Browser,
    filename: &str,
    csv: String,
    fields: &[(&str, &str)],
) -> String {
    let checked = browser.upload_csv(filename, csv).await;
    checked.assert_status(StatusCode::SEE_OTHER);
    let path = checked.location().expect("the import's page").to_owned();
    browser.follow(&checked).await.import_preview();
    browser
        .post_with_token(&path, fields)
        .await
        .assert_redirect_to(&path);
    browser.wait_for_import(&path).await;
    path.rsplit('/').next().expect("an id").to_owned()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an instant")
        .with_timezone(&Utc)
}

/// Moves revision `version` of student `id` to `at`, behind the app's back
/// (changes made over HTTP are all made now).
async fn move_revision(app: &TestApp, id: i64, version: i64, at: &str) {
    revision::Entity::update_many()
        .col_expr(revision::Column::At, Expr::value(utc(at)))
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Version.eq(version))
        .exec(&app.db)
        .await
        .expect("moved");
}

async fn the_log_shows_every_change_to_any_student(backend: Backend) {
    let app = spawn_app!(backend);
    let (admin, grace) = with_grace(&app).await;
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let ada = app.create_student(&admin, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&grace, "Bob", "2 High St", "2.5").await;
    app.edit_student(&grace, ada, &[("address", "9 New Rd"), ("reason", "Moved")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    delete(&admin, bob, "Duplicate").await;
    let gone = admin.get(&format!("/students/{bob}")).await;
    gone.form(&format!("/students/{bob}/undelete"))
        .submit(&admin)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let history = grace.get(&format!("/students/{ada}/history")).await;
    let restore = history
        .forms()
        .into_iter()
        .find(|f| f.action.ends_with("/restore") && f.value("revision") == Some("1"))
        .expect("a restore form of version 1");
    restore
        .submit(&grace)
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // A viewer reads the whole office's log, newest first.
    let viewer = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;
    let page = viewer.get("/changes").await;
    page.assert_status(StatusCode::OK);
    let log = page.change_log();
    assert_eq!(log.heading, "Changes");
    use HistoryAction::{Created, Deleted, Restored, Undeleted, Updated};
    assert_eq!(
        summary(&log.entries),
        [
            (Restored, GRACE, Some(ada), Some(3)),
            (Undeleted, REGISTRAR, Some(bob), Some(3)),
            (Deleted, REGISTRAR, Some(bob), Some(2)),
            (Updated, GRACE, Some(ada), Some(2)),
            (Created, GRACE, Some(bob), Some(1)),
            (Created, REGISTRAR, Some(ada), Some(1)),
        ],
        "{log:?}"
    );
    assert!(log.older.is_none() && log.newest.is_none());
    // What each changed, old → new, and why.
    let [restored, undeleted, deleted, updated, _, created] = &log.entries[..] else {
        unreachable!()
    };
    assert_eq!(
        restored.changed("Address"),
        Some((Some("9 New Rd"), "1 Main St"))
    );
    assert_eq!(restored.changes.len(), 1);
    assert_eq!(
        updated.changed("Address"),
        Some((Some("1 Main St"), "9 New Rd"))
    );
    assert!(
        updated
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("Moved")
    );
    assert!(deleted.changes.is_empty() && undeleted.changes.is_empty());
    assert!(
        deleted
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("Duplicate")
    );
    assert_eq!(created.changed("Name"), Some((None, "Ada")));
    assert_eq!(created.changed("GPA"), Some((None, "3.00")));
    assert!(created.reason.is_none());
    // The record by its name now, linked; the time as stored.
    assert_eq!(restored.student_name.as_deref(), Some("Ada"));
    let stored = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(ada))
        .filter(revision::Column::Version.eq(3))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the restore");
    assert_eq!(utc(&restored.at), stored.at);
    assert_eq!(restored.revision, stored.id);

    // The header leads to the log and to one's own changes.
    let students = viewer.get("/students").await;
    assert_eq!(
        students.href("nav a[href='/changes']").as_deref(),
        Some("/changes")
    );
    let mine = students
        .href("nav a[href^='/changes?by=']")
        .expect("My changes");
    assert_eq!(mine, format!("/changes?by={VIEWER}"));
    let mine = viewer.get(&mine).await.change_log();
    assert_eq!(mine.heading, "My changes");
    assert!(mine.entries.is_empty());
    assert_eq!(
        mine.empty.as_deref(),
        Some("No change matches these filters.")
    );
}

async fn each_filter_narrows_the_log(backend: Backend) {
    let app = spawn_app!(backend);
    let (admin, grace) = with_grace(&app).await;
    let a = app.create_student(&admin, "Ada", "1 Main St", "3").await;
    let b = app.create_student(&grace, "Bob", "2 High St", "2.5").await;
    app.edit_student(&grace, a, &[("gpa", "3.5")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    delete(&admin, b, "Left").await;
    app.edit_student(&grace, a, &[("name", "Ada L")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let read = |path: String| {
        let admin = &admin;
        async move {
            let page = admin.get(&path).await;
            page.assert_status(StatusCode::OK);
            page.change_log()
        }
    };
    let versions = |log: &registrar::testing::ChangeLog| -> Vec<(Option<i64>, Option<i64>)> {
        log.entries
            .iter()
            .map(|e| (e.student_id, e.version))
            .collect()
    };
    let (a, b) = (Some(a), Some(b));

    let by = read("/changes?by=grace".into()).await;
    assert_eq!(by.heading, "Changes by grace");
    assert_eq!(versions(&by), [(a, Some(3)), (a, Some(2)), (b, Some(1))]);
    // Usernames are one regardless of case.
    let upper = read("/changes?by=GRACE".into()).await;
    assert_eq!(versions(&upper), versions(&by));
    assert_eq!(upper.heading, "Changes by grace");
    // Grace's own: "My changes".
    let hers = grace.get("/changes?by=grace").await.change_log();
    assert_eq!(
        (hers.heading.as_str(), versions(&hers)),
        ("My changes", versions(&by))
    );

    let deleted = read("/changes?action=deleted".into()).await;
    assert_eq!(versions(&deleted), [(b, Some(2))]);
    assert_eq!(deleted.entries[0].action, HistoryAction::Deleted);
    let created = read("/changes?action=created".into()).await;
    assert_eq!(versions(&created), [(b, Some(1)), (a, Some(1))]);

    let ada = read(format!("/changes?student={}", a.unwrap())).await;
    assert_eq!(ada.heading, "Changes to \u{2068}Ada L\u{2069}");
    assert_eq!(versions(&ada), [(a, Some(3)), (a, Some(2)), (a, Some(1))]);
    let narrow = read(format!(
        "/changes?by=grace&action=updated&student={}",
        a.unwrap()
    ))
    .await;
    assert_eq!(versions(&narrow), [(a, Some(3)), (a, Some(2))]);

    // An account nobody has: said, and nothing listed.
    let nobody = read("/changes?by=nobody".into()).await;
    assert!(nobody.entries.is_empty());
    assert_eq!(nobody.notes, ["No account is named “nobody”."]);

    // Days (UTC, inclusive), at their edges.
    move_revision(&app, a.unwrap(), 1, "2026-12-01T23:59:59.999999Z").await;
    move_revision(&app, b.unwrap(), 1, "2026-12-02T00:00:00Z").await;
    move_revision(&app, a.unwrap(), 2, "2026-12-02T23:59:59.999999Z").await;
    move_revision(&app, b.unwrap(), 2, "2026-12-03T00:00:00Z").await;
    move_revision(&app, a.unwrap(), 3, "2026-12-03T12:00:00Z").await;
    for (query, expected) in [
        (
            "since=2026-12-02&until=2026-12-02",
            vec![(a, Some(2)), (b, Some(1))],
        ),
        (
            "since=2026-12-02",
            vec![(a, Some(3)), (b, Some(2)), (a, Some(2)), (b, Some(1))],
        ),
        ("until=2026-12-01", vec![(a, Some(1))]),
        ("since=2026-12-04", vec![]),
        ("by=grace&since=2026-12-03", vec![(a, Some(3))]),
        ("action=deleted&until=2026-12-02", vec![]),
        (
            "action=deleted&since=2026-12-03&until=2026-12-03",
            vec![(b, Some(2))],
        ),
    ] {
        let log = read(format!("/changes?{query}")).await;
        assert_eq!(versions(&log), expected, "{query}");
        // The links keep the filters.
        assert_eq!(
            log.csv.as_deref(),
            Some(format!("/changes.csv?{query}").as_str())
        );
    }
    let none = read("/changes?since=2026-12-04".into()).await;
    assert_eq!(
        none.empty.as_deref(),
        Some("No change matches these filters.")
    );
}

/// The log's entries as the database holds them, newest first: the
/// revisions no import wrote that `keep` keeps, and (with `imports`) the
/// imports' entries.
async fn expected(
    app: &TestApp,
    imports: bool,
    keep: impl Fn(&revision::Model) -> bool,
) -> Vec<i64> {
    let mut positions: Vec<(DateTime<Utc>, i64)> = revision::Entity::find()
        .filter(revision::Column::ImportId.is_null())
        .all(&app.db)
        .await
        .expect("revisions")
        .into_iter()
        .filter(|r| keep(r))
        .map(|r| (r.at, r.id))
        .collect();
    if imports {
        positions.extend(
            import_entry::Entity::find()
                .all(&app.db)
                .await
                .expect("imports")
                .into_iter()
                .map(|i| (i.at, i.first_revision)),
        );
    }
    positions.sort_by(|x, y| y.cmp(x));
    positions.into_iter().map(|(_, id)| id).collect()
}

async fn pages_by_cursor_neither_repeat_nor_skip(backend: Backend) {
    let app = spawn_app!(backend);
    let (admin, grace) = with_grace(&app).await;
    let mut ids = Vec::new();
    for (n, browser) in [&admin, &grace, &admin, &grace].into_iter().enumerate() {
        ids.push(
            app.create_student(browser, &format!("Student {n}"), "1 Main St", "2")
                .await,
        );
    }
    for round in 0..30 {
        for (n, id) in ids.iter().enumerate() {
            let browser = if (round + n) % 2 == 0 { &grace } else { &admin };
            app.edit_student(browser, *id, &[("address", &format!("{round} Elm St"))])
                .await
                .assert_status(StatusCode::SEE_OTHER);
        }
        if round == 12 {
            import(
                &admin,
                "three.csv",
                "name,address,gpa\r\nX,1 A St,1\r\nY,2 B St,2\r\nZ,3 C St,3\r\n".into(),
                &[],
            )
            .await;
        }
    }
    // Many changes at one instant: the order falls back to the revision,
    // and no page boundary may split or repeat them.
    let tie = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
    revision::Entity::update_many()
        .col_expr(revision::Column::At, Expr::value(tie))
        .filter(Expr::cust("id % 3 = 0"))
        .filter(revision::Column::ImportId.is_null())
        .exec(&app.db)
        .await
        .expect("ties");

    let everything = expected(&app, true, |_| true).await;
    assert_eq!(everything.len(), 4 + 120 + 1);
    let walked = walk(&admin, "/changes").await;
    let revisions: Vec<i64> = walked.iter().map(|e| e.revision).collect();
    assert_eq!(revisions, everything);
    assert_eq!(walked.iter().filter(|e| e.is_import).count(), 1);

    // Filtered, the same.
    let hers = expected(&app, false, |r| r.registrar == GRACE).await;
    let walked: Vec<i64> = walk(&admin, "/changes?by=grace")
        .await
        .iter()
        .map(|e| e.revision)
        .collect();
    assert_eq!(walked, hers);
    assert!(walked.len() > 50, "{}", walked.len());

    // The second page leads back to the newest; a cursor that names no
    // revision starts there too.
    let first = admin.get("/changes").await.change_log();
    let second = admin
        .get(first.older.as_deref().expect("Older"))
        .await
        .change_log();
    assert_eq!(second.newest.as_deref(), Some("/changes"));
    assert_ne!(second.entries[0].revision, first.entries[0].revision);
    let unknown = admin.get("/changes?before=999999999").await.change_log();
    assert_eq!(unknown.entries, first.entries);
}

async fn an_import_is_one_entry_that_opens_its_rows(backend: Backend) {
    let app = spawn_app!(backend);
    let (admin, grace) = with_grace(&app).await;
    let ada = app.create_student(&admin, "Ada", "1 Main St", "3").await;
    let mut csv = format!("id,name,address,gpa,version\r\n{ada},Ada,5 Other St,3.00,1\r\n");
    for n in 1..1_200 {
        csv.push_str(&format!(",Student {n},{n} Main St,2.50,\r\n"));
    }
    let id = import(&grace, "students.csv", csv, &[]).await;

    let log = admin.get("/changes").await.change_log();
    assert_eq!(log.entries.len(), 2, "{log:?}");
    let entry = &log.entries[0];
    assert!(entry.is_import, "{entry:?}");
    assert_eq!(
        (entry.action, entry.registrar.as_str(), entry.rows),
        (HistoryAction::Imported, GRACE, Some(1_200))
    );
    assert_eq!(
        entry.rows_href.as_deref(),
        Some(format!("/changes?import={id}").as_str())
    );
    assert_eq!(log.entries[1].action, HistoryAction::Created);
    let today = Utc::now().date_naive();
    for (query, imports) in [
        ("by=grace".to_owned(), 1),
        (format!("by={REGISTRAR}"), 0),
        ("action=imported".to_owned(), 1),
        ("action=updated".to_owned(), 0),
        (format!("since={today}&until={today}"), 1),
        (format!("until={}", today.pred_opt().unwrap()), 0),
    ] {
        let log = admin.get(&format!("/changes?{query}")).await.change_log();
        assert_eq!(
            log.entries.iter().filter(|e| e.is_import).count(),
            imports,
            "{query}"
        );
    }

    // It opens its rows: one entry each, paged, every one of them.
    let rows = walk(&admin, entry.rows_href.as_deref().unwrap()).await;
    assert_eq!(rows.len(), 1_200);
    let distinct: HashSet<i64> = rows.iter().map(|e| e.revision).collect();
    assert_eq!(distinct.len(), 1_200);
    assert!(
        rows.iter()
            .all(|e| e.action == HistoryAction::Imported && !e.is_import && e.registrar == GRACE)
    );
    let update = rows
        .iter()
        .find(|e| e.student_id == Some(ada))
        .expect("the updated row");
    assert_eq!(update.version, Some(2));
    assert_eq!(
        update.changed("Address"),
        Some((Some("1 Main St"), "5 Other St"))
    );
    let created = rows
        .iter()
        .find(|e| e.student_name.as_deref() == Some("Student 7"))
        .expect("a created row");
    assert_eq!(created.changed("Address"), Some((None, "7 Main St")));
    let first_page = admin.get(entry.rows_href.as_deref().unwrap()).await;
    assert_eq!(first_page.change_log().heading, "An import's rows");
    assert!(
        first_page
            .text(".import-summary")
            .unwrap_or_default()
            .contains("1,200 rows"),
        "{:?}",
        first_page.text(".import-summary")
    );
    // A record's own changes show its imported version, linked to the import.
    let hers = admin
        .get(&format!("/changes?student={ada}"))
        .await
        .change_log();
    assert_eq!(
        summary(&hers.entries),
        [
            (HistoryAction::Imported, GRACE, Some(ada), Some(2)),
            (HistoryAction::Created, REGISTRAR, Some(ada), Some(1)),
        ]
    );
    assert_eq!(hers.entries[0].import_href, entry.rows_href);

    // As CSV: the log has one line for the import; its rows, every one,
    // though more than a batch.
    let log_csv = csv_records(&admin, "/changes.csv").await;
    assert_eq!(log_csv.len(), 2);
    assert_eq!(
        (&log_csv[0][2], &log_csv[0][7], &log_csv[0][8]),
        (&"imported".to_owned(), &id, &"1200".to_owned())
    );
    let rows_csv = csv_records(&admin, &format!("/changes.csv?import={id}")).await;
    assert_eq!(rows_csv.len(), 1_200);
    let students: HashSet<&str> = rows_csv.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(students.len(), 1_200);
}

/// The records of the CSV at `path` (after its header, which is checked).
async fn csv_records(browser: &Browser, path: &str) -> Vec<Vec<String>> {
    let page = browser.get(path).await;
    page.assert_status(StatusCode::OK);
    let mut reader = csv::ReaderBuilder::new().from_reader(page.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "at",
            "by",
            "action",
            "student_id",
            "student_name",
            "student_number",
            "version",
            "import_id",
            "rows",
            "reason",
            "name_old",
            "name_new",
            "student_number_old",
            "student_number_new",
            "address_old",
            "address_new",
            "gpa_old",
            "gpa_new",
            "confidential_old",
            "confidential_new"
        ]
    );
    reader
        .records()
        .map(|r| {
            r.expect("a record")
                .iter()
                .map(|cell| unneutralise(cell).into_owned())
                .collect()
        })
        .collect()
}

async fn the_csv_matches_the_page(backend: Backend) {
    let app = spawn_app!(backend);
    let (admin, grace) = with_grace(&app).await;
    let a = app
        .create_student(&admin, "=HYPERLINK(\"x\")", "1 Main St, Springfield", "3")
        .await;
    let b = app.create_student(&grace, "Bob", "2 High St", "2.5").await;
    app.edit_student(
        &grace,
        a,
        &[("name", "Ada \"Al\" L"), ("reason", "-typo, fixed")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    delete(&admin, b, "Left").await;
    // All or nothing: one transaction, one entry all the same.
    let few = import(
        &grace,
        "few.csv",
        "name,address,gpa\r\nX,1 A St,1\r\nY,2 B St,2\r\n".into(),
        &[("all_or_nothing", "1")],
    )
    .await;
    let log = admin.get("/changes").await.change_log();
    assert!(log.entries[0].is_import && log.entries[0].rows == Some(2));
    assert_eq!(
        log.entries[0].rows_href.as_deref(),
        Some(format!("/changes?import={few}").as_str())
    );

    for path in [
        "/changes",
        "/changes?by=grace",
        &format!("/changes?student={a}"),
    ] {
        let page = admin.get(path).await.change_log();
        let csv_path = page.csv.clone().expect("a CSV link");
        assert_eq!(csv_path, path.replacen("/changes", "/changes.csv", 1));
        let records = csv_records(&admin, &csv_path).await;
        assert_eq!(records.len(), page.entries.len(), "{path}");
        assert!(!records.is_empty());
        for (entry, record) in page.entries.iter().zip(&records) {
            let cell = |i: usize| record[i].as_str();
            assert_eq!(cell(0), entry.at, "{path}");
            assert_eq!(cell(1), entry.registrar);
            assert_eq!(cell(2).parse::<HistoryAction>(), Ok(entry.action));
            let number = |i: usize| (!cell(i).is_empty()).then(|| cell(i).parse::<i64>().unwrap());
            assert_eq!(number(3), entry.student_id);
            assert_eq!(number(6), entry.version);
            assert_eq!(number(8).map(|n| n as u64), entry.rows);
            assert_eq!(
                (!cell(4).is_empty()).then(|| cell(4).to_owned()),
                entry.student_name
            );
            match &entry.reason {
                Some(reason) => assert!(reason.contains(cell(9)) && !cell(9).is_empty()),
                None => assert_eq!(cell(9), ""),
            }
            for (label, column) in [("Name", 10), ("Address", 14), ("GPA", 16)] {
                let from_csv =
                    (!cell(column + 1).is_empty() || !cell(column).is_empty()).then(|| {
                        (
                            (!cell(column).is_empty()).then_some(cell(column)),
                            cell(column + 1),
                        )
                    });
                assert_eq!(from_csv, entry.changed(label), "{path} {label}");
            }
        }
    }
    // The CSV's cells are safe to open in a spreadsheet.
    let raw = admin.get("/changes.csv").await;
    assert_eq!(
        raw.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    assert!(raw.body.contains("'=HYPERLINK"), "{}", raw.body);
    assert!(raw.body.contains("\"'-typo, fixed\""), "{}", raw.body);
}

async fn bad_filters_are_a_400_that_says_which(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    app.create_student(&browser, "Ada", "1 Main St", "3").await;
    for (query, field, typed) in [
        ("by=ada%20lovelace", "by", "ada lovelace"),
        ("action=edited", "action", "edited"),
        ("since=2026-13-01", "since", "2026-13-01"),
        ("since=2026-1-1", "since", "2026-1-1"),
        ("until=yesterday", "until", "yesterday"),
        ("since=2026-12-08&until=2026-12-07", "since", "2026-12-08"),
        ("student=abc", "student", "abc"),
        ("student=-3", "student", "-3"),
        (
            "student=99999999999999999999",
            "student",
            "99999999999999999999",
        ),
        ("import=nope", "import", "nope"),
    ] {
        let path = format!("/changes?{query}");
        let page = browser.get(&path).await;
        page.assert_status(StatusCode::BAD_REQUEST);
        let log = page.change_log();
        assert_eq!(log.problems.len(), 1, "{path}");
        assert!(log.entries.is_empty() && log.csv.is_none());
        if field != "import" {
            assert!(page.field_error(field).is_some(), "{path}");
        }
        // The form as typed (the menu of actions offers only its own),
        // and the header: nothing to type again.
        if field != "action" {
            assert_eq!(page.form("/changes").value(field), Some(typed), "{path}");
        }
        assert!(page.href("nav a[href='/changes']").is_some());
        browser
            .get(&format!("/changes.csv?{query}"))
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    // A cursor is read leniently, as the list's: the newest page.
    let newest = browser.get("/changes").await.change_log();
    for before in ["abc", "0", "-1", "999999999", "99999999999999999999"] {
        let page = browser.get(&format!("/changes?before={before}")).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(page.change_log().entries, newest.entries, "before={before}");
    }
    // Well formed, naming nothing: said, not an error.
    let page = browser.get("/changes?student=999999").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.change_log().notes, ["No student has the id 999999."]);
    let page = browser
        .get(&format!("/changes?import={}", "a".repeat(43)))
        .await;
    page.assert_status(StatusCode::OK);
    assert!(page.change_log().entries.is_empty());
    browser
        .get("/changes?by=%FF")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // Far days are days too.
    for query in ["since=0001-01-01", "until=9999-12-31", "since=9999-12-31"] {
        browser
            .get(&format!("/changes?{query}"))
            .await
            .assert_status(StatusCode::OK);
        browser
            .get(&format!("/changes.csv?{query}"))
            .await
            .assert_status(StatusCode::OK);
    }
}
