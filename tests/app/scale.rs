//! Working at a university's scale, on small data: demo data, cursor
//! pagination, capped totals, CSV export and import (command line and
//! upload page).

use std::process::{Command, Output};

use axum::http::StatusCode;
use registrar::db::entities::{revision, student};
use registrar::students::demo::{self, Generator};
use registrar::testing::{Backend, Browser, HistoryAction, ImportOutcome, Page, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    demo_data_is_deterministic_valid_and_refuses_a_full_database,
    cursor_pages_walk_every_order_without_gaps_or_repeats,
    a_search_matching_more_than_the_cap_says_so,
    the_import_command_checks_every_row_first,
    an_upload_is_checked_previewed_and_imported_once,
    an_export_imports_back_to_the_same_values,
    history_pages_and_my_changes,
);

/// Uploads `contents` as a CSV file on the import page's form.
async fn upload(browser: &Browser, token: &str, filename: &str, contents: Vec<u8>) -> Page {
    browser
        .post_multipart(
            "/students/import",
            &[("csrf_token", token)],
            Some(("file", filename, contents)),
        )
        .await
}

fn registrar(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the registrar binary runs")
}

async fn demo_data_is_deterministic_valid_and_refuses_a_full_database(backend: Backend) {
    let app = spawn_app!(backend);
    let run = registrar(&app, &["demo", "--students", "300", "--seed", "7"]);
    assert!(run.status.success(), "{run:?}");
    let stored = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 300);
    let mut expected = Generator::new(7);
    for row in &stored {
        let fields = expected.student();
        assert_eq!(
            (row.name.as_str(), row.address.as_str()),
            (fields.name.as_str(), fields.address.as_str())
        );
        assert_eq!(row.gpa_hundredths as u16, fields.gpa.hundredths());
        assert_eq!(row.version, 1);
    }
    let created = revision::Entity::find()
        .filter(revision::Column::Action.eq(revision::Action::Created))
        .filter(revision::Column::Registrar.eq("demo"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(created, 300);

    let again = registrar(&app, &["demo", "--students", "10"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--append"));
    assert!(
        registrar(&app, &["demo", "--students", "10", "--append"])
            .status
            .success()
    );
    assert_eq!(db_checks::student_count(&app.db).await, 310);

    // The list's total is the kept count, and demo students are editable.
    let browser = app.signed_in_browser().await;
    assert_eq!(
        browser
            .get("/students")
            .await
            .text("[data-total]")
            .as_deref(),
        Some("310")
    );
    let id = stored[0].id;
    app.edit_student(&browser, id, &[("gpa", "4")])
        .await
        .assert_redirect_to(&format!("/students/{id}"));
}

fn names(page: &Page) -> Vec<String> {
    page.texts("table.students tbody td:first-child")
}

async fn cursor_pages_walk_every_order_without_gaps_or_repeats(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    // Equal GPAs and names make the id the tie-breaker.
    for (name, gpa) in [
        ("Ada", "3"),
        ("Bob", "3"),
        ("Cy", "2"),
        ("Di", "3"),
        ("Ed", "4"),
        ("Ada", "1"),
        ("Flo", "3"),
    ] {
        app.create_student(&browser, name, "1 Main St", gpa).await;
    }
    for sort in ["name", "-name", "gpa", "-gpa", "updated", "-updated"] {
        let all = names(
            &browser
                .get(&format!("/students?sort={sort}&per_page=200"))
                .await,
        );
        assert_eq!(all.len(), 7);

        let mut walked = Vec::new();
        let mut page = browser
            .get(&format!("/students?sort={sort}&per_page=3"))
            .await;
        let mut pages = vec![names(&page)];
        walked.extend(names(&page));
        while let Some(next) = page.href(".pagination a[rel=next]") {
            page = browser.get(&next).await;
            page.assert_status(StatusCode::OK);
            walked.extend(names(&page));
            pages.push(names(&page));
            assert!(pages.len() <= 3, "{sort}: more pages than rows allow");
        }
        assert_eq!(walked, all, "{sort}: Next walks the whole list in order");

        // And back again with Previous.
        let mut back = Vec::new();
        while let Some(previous) = page.href(".pagination a[rel=prev]") {
            page = browser.get(&previous).await;
            back.push(names(&page));
        }
        back.reverse();
        assert_eq!(
            back,
            pages[..pages.len() - 1],
            "{sort}: Previous returns the same pages"
        );
    }
    // A cursor at a student that is not there starts from the top.
    let odd = browser.get("/students?after=999999&per_page=3").await;
    odd.assert_status(StatusCode::OK);
    assert_eq!(names(&odd).len(), 3);
}

async fn a_search_matching_more_than_the_cap_says_so(backend: Backend) {
    let app = spawn_app!(backend);
    demo::fill(&app.db, 10_050, 3, false, |_| {})
        .await
        .expect("demo data");
    let browser = app.signed_in_browser().await;
    let all = browser.get("/students").await;
    assert_eq!(all.text("[data-total]").as_deref(), Some("10,050"));
    // Nearly every address has ", " in it.
    let many = browser.get("/students?q=%2C").await;
    many.assert_status(StatusCode::OK);
    assert!(many.body.contains("data-at-least"));
    assert!(
        many.text("#count").unwrap().contains("More than 10,000"),
        "{:?}",
        many.text("#count")
    );
    assert_eq!(names(&many).len(), 50);
    assert!(many.text(".pagination").unwrap().contains("Next"));

    // So many matches that the page walks the order's index, checking
    // each row, instead of sorting every match the search index finds:
    // the pages are still exactly those of a scan, in every order, by
    // number and by cursor.
    let mut live = student::Entity::find()
        .filter(student::Column::DeletedAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    live.retain(|s| s.search_key.contains(','));
    assert!(live.len() > 10_000);
    for sort in ["name", "-gpa", "updated"] {
        let mut expected = live.clone();
        match sort {
            "name" => expected.sort_by(|a, b| (&a.search_key, a.id).cmp(&(&b.search_key, b.id))),
            "-gpa" => expected.sort_by_key(|s| std::cmp::Reverse((s.gpa_hundredths, s.id))),
            _ => expected.sort_by_key(|s| (s.updated_at, s.id)),
        }
        let expected: Vec<String> = expected.iter().take(150).map(|s| s.name.clone()).collect();
        // A name cell also says "Confidential" for a student on hold.
        let shown = |page: &Page| -> Vec<String> {
            names(page)
                .into_iter()
                .map(|name| name.trim_end_matches(" Confidential").to_owned())
                .collect()
        };
        let mut page = browser.get(&format!("/students?q=%2C&sort={sort}")).await;
        let mut walked = shown(&page);
        for _ in 0..2 {
            let next = page.href(".pagination a[rel=next]").expect("a next page");
            page = browser.get(&next).await;
            page.assert_status(StatusCode::OK);
            walked.extend(shown(&page));
        }
        assert_eq!(walked, expected, "{sort}: three pages by cursor");
        let third = browser
            .get(&format!("/students?q=%2C&sort={sort}&page=3"))
            .await;
        assert_eq!(
            shown(&third),
            expected[100..150],
            "{sort}: page 3 by number"
        );
    }

    // More candidates than the cap, fewer matches: every number holds
    // "d00", fewer keys "st" too (MariaDB's postings give more than 10,000
    // students, and its page checks the keys in the name index instead).
    let mut both: Vec<student::Model> = student::Entity::find()
        .filter(student::Column::DeletedAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    both.retain(|s| s.search_key.contains("d00") && s.search_key.contains("st"));
    assert!((51..=10_000).contains(&both.len()), "{}", both.len());
    both.sort_by(|a, b| (&a.search_key, a.id).cmp(&(&b.search_key, b.id)));
    let page = browser.get("/students?q=D00+st").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(
        page.attr("[data-total]", "data-total"),
        Some(both.len().to_string())
    );
    let expected: Vec<String> = both.iter().take(50).map(|s| s.name.clone()).collect();
    let shown: Vec<String> = names(&page)
        .into_iter()
        .map(|name| name.trim_end_matches(" Confidential").to_owned())
        .collect();
    assert_eq!(shown, expected, "many candidates, fewer matches");
}

async fn the_import_command_checks_every_row_first(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar("grace", "grace's long password").await;
    let dir = std::env::temp_dir().join(format!(
        "registrar-import-{}-{}",
        std::process::id(),
        app.address.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "name,address,gpa\nAda,1 Main St,3.5\nBob,2 Elm St,4.5\n,3 Oak Ave,2\n",
    )
    .unwrap();
    // `--as` names an enabled account that may change records.
    let nobody = registrar(&app, &["import", bad.to_str().unwrap(), "--as", "nobody"]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("--as"));
    // All or nothing: every row is checked before any is written, and an
    // invalid one means nothing is (without it the clean rows are written:
    // tests/app/import_review.rs).
    let refused = registrar(
        &app,
        &[
            "import",
            bad.to_str().unwrap(),
            "--as",
            "grace",
            "--all-or-nothing",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("nothing was imported")
            && stderr.contains("line 3, gpa")
            && stderr.contains("line 4, name"),
        "{stderr}"
    );
    assert_eq!(db_checks::student_count(&app.db).await, 0);

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "Name,GPA,Address\n\"O'Brien, Ada\",3.5,\"1 Main St, Apt \"\"2\"\"\"\nBob,4,'=2+2 Elm St\n",
    )
    .unwrap();
    let imported = registrar(&app, &["import", good.to_str().unwrap(), "--as", "grace"]);
    assert!(imported.status.success(), "{imported:?}");
    let stored = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(
        (stored[0].name.as_str(), stored[0].address.as_str()),
        ("O'Brien, Ada", "1 Main St, Apt \"2\"")
    );
    assert_eq!(stored[1].address, "=2+2 Elm St");
    let revisions = revision::Entity::find()
        .filter(revision::Column::Action.eq(revision::Action::Imported))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(revisions.len(), 2);
    assert!(
        revisions
            .iter()
            .all(|r| r.registrar == "grace" && r.version == 1)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn an_upload_is_checked_previewed_and_imported_once(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar("grace", "grace's long password").await;
    let browser = app.signed_in_browser().await;
    let form = browser.get("/students/import").await;
    form.assert_status(StatusCode::OK);
    let token = form
        .form("/students/import")
        .value("csrf_token")
        .unwrap()
        .to_owned();

    // Problems are listed by line and field; nothing is created.
    let mut bad = String::from("name,address,gpa\n");
    for i in 0..150 {
        bad.push_str(&format!(
            "Student {i},1 Main St,{}\n",
            if i % 2 == 0 { "3" } else { "nope" }
        ));
    }
    let checked = upload(&browser, &token, "bad.csv", bad.into_bytes()).await;
    checked.assert_status(StatusCode::SEE_OTHER);
    let refused = browser.follow(&checked).await.import_preview();
    assert_eq!(refused.count(ImportOutcome::Invalid), 75);
    assert_eq!(refused.count(ImportOutcome::Create), 75);
    assert_eq!(refused.not_imported.as_ref().map(|n| n.rows), Some(75));
    // Every invalid row, page after page of that class.
    let invalid = browser
        .every_import_row(&format!("{}?outcome=invalid", checked.location().unwrap()))
        .await;
    let problems: Vec<_> = invalid.iter().flat_map(|r| &r.problems).collect();
    assert_eq!(problems.len(), 75);
    assert_eq!((problems[0].line, problems[0].field.as_str()), (3, "gpa"));
    // All or nothing writes nothing while a row is invalid.
    browser
        .post_with_token(checked.location().unwrap(), &[("all_or_nothing", "1")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db_checks::student_count(&app.db).await, 0);

    // Without the token: refused.
    browser
        .post_multipart(
            "/students/import",
            &[],
            Some(("file", "x.csv", b"name,address,gpa\nA,B,1\n".to_vec())),
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // A good file bigger than the 64 KiB form limit: checked, then previewed.
    let mut good = String::from("name,address,gpa\n");
    for i in 0..3_000 {
        good.push_str(&format!("Student {i},{i} University Ave,3.{}\n", i % 10));
    }
    assert!(good.len() > 64 * 1024);
    let checked = upload(&browser, &token, "good.csv", good.into_bytes()).await;
    checked.assert_status(StatusCode::SEE_OTHER);
    let preview_path = checked.location().unwrap().to_owned();
    assert_eq!(
        db_checks::student_count(&app.db).await,
        0,
        "nothing before the confirm"
    );
    let page = browser.get(&preview_path).await;
    page.assert_status(StatusCode::OK);
    let preview = page.import_preview();
    assert_eq!(preview.count(ImportOutcome::Create), 3000);
    let sample = preview.rows_of(ImportOutcome::Create);
    assert_eq!(sample.len(), 50, "a page of rows");
    assert!(preview.next_page.is_some());
    assert_eq!(sample[0].values["name"], "Student 0");
    assert_eq!(sample[0].values["gpa"], "3.00");

    // Only the registrar who uploaded it sees it.
    let grace = app.signed_in_as("grace", "grace's long password").await;
    grace
        .get(&preview_path)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let confirm = preview.confirm();
    assert_eq!(confirm.action, preview_path);
    let done = confirm.submit(&browser).await;
    done.assert_redirect_to(&preview_path);
    let result = browser.wait_for_import(&preview_path).await.import_result();
    assert_eq!((result.written, result.refused), (3_000, 0));
    assert_eq!(db_checks::student_count(&app.db).await, 3_000);
    assert_eq!(
        browser
            .get("/students")
            .await
            .text("[data-total]")
            .as_deref(),
        Some("3,000")
    );
    // A second confirm (a double click) imports nothing more.
    confirm
        .submit(&browser)
        .await
        .assert_redirect_to(&preview_path);
    assert_eq!(db_checks::student_count(&app.db).await, 3_000);

    // Files over the upload limit are refused whole.
    let huge = vec![b'a'; 21 * 1024 * 1024];
    upload(&browser, &token, "huge.csv", huge)
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
}

async fn an_export_imports_back_to_the_same_values(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let tricky = [
        ("=SUM(A1:A2)", "+1 \"Main\" St, Apt 2", "3.50"),
        ("-Ada", "@home", "0.00"),
        ("Zoë 字 O'Brien", "1 Main St", "4.00"),
    ];
    for (name, address, gpa) in tricky {
        app.create_student(&browser, name, address, gpa).await;
    }
    let csv = browser.get("/students.csv").await;
    csv.assert_status(StatusCode::OK);
    let token = browser
        .get("/students/import")
        .await
        .form("/students/import")
        .value("csrf_token")
        .unwrap()
        .to_owned();
    let checked = upload(
        &browser,
        &token,
        "students.csv",
        csv.body.clone().into_bytes(),
    )
    .await;
    checked.assert_status(StatusCode::SEE_OTHER);
    let preview = browser.get(checked.location().unwrap()).await;
    // Every value reads back exactly as stored: no row would change.
    let preview = preview.import_preview();
    assert_eq!(preview.count(ImportOutcome::Unchanged), 3, "{preview:?}");
    assert_eq!(preview.count(ImportOutcome::Update), 0);

    // Without the ids, the same file creates copies with the same values.
    let without_ids: String = csv
        .body
        .lines()
        .map(|line| format!("{line},\r\n"))
        .collect::<String>()
        .replacen(
            "id,name,address,gpa,version,updated_at,",
            "x,name,address,gpa,y,updated_at,",
            1,
        );
    let checked = upload(&browser, &token, "copies.csv", without_ids.into_bytes()).await;
    checked.assert_status(StatusCode::SEE_OTHER);
    let preview = browser.follow(&checked).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Create), 3, "{preview:?}");
    preview
        .confirm()
        .submit(&browser)
        .await
        .assert_redirect_to(checked.location().unwrap());
    browser.wait_for_import(checked.location().unwrap()).await;

    let stored = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 6);
    let mut originals: Vec<_> = stored[..3]
        .iter()
        .map(|s| (&s.name, &s.address, s.gpa_hundredths))
        .collect();
    let mut copies: Vec<_> = stored[3..]
        .iter()
        .map(|s| (&s.name, &s.address, s.gpa_hundredths))
        .collect();
    originals.sort();
    copies.sort();
    assert_eq!(originals, copies);
}

async fn history_pages_and_my_changes(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar("grace", "grace's long password").await;
    let browser = app.signed_in_browser().await;
    let grace = app.signed_in_as("grace", "grace's long password").await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");
    let stale = grace.get(&format!("{path}/edit")).await.form(&path);
    for n in 1..=60 {
        app.edit_student(&browser, id, &[("name", &format!("Ada {n}"))])
            .await
            .assert_redirect_to(&path);
    }
    stale
        .submit(&grace)
        .await
        .assert_status(StatusCode::CONFLICT);
    app.edit_student(&grace, id, &[("gpa", "4")])
        .await
        .assert_redirect_to(&path);

    // 62 revisions and a conflict entry: the newest 50 revisions and the
    // conflict on the first page, the rest on the second.
    let first = browser.get(&format!("{path}/history")).await.history();
    let entries = &first.entries;
    assert_eq!(entries.len(), 51, "{entries:?}");
    assert_eq!(
        (entries[0].action, entries[0].version),
        (HistoryAction::Updated, 62)
    );
    assert_eq!(entries[0].registrar, "grace");
    assert_eq!(
        entries[1].action,
        HistoryAction::Conflict,
        "{:?}",
        entries[1]
    );
    assert_eq!(
        (entries[1].version, entries[1].registrar.as_str()),
        (1, "grace")
    );
    assert_eq!(
        (entries[50].action, entries[50].version),
        (HistoryAction::Updated, 13)
    );
    assert_eq!(
        entries[50].changed("Name"),
        Some((Some("Ada 11"), "Ada 12"))
    );
    assert!(first.newer.is_none());
    let older = browser
        .get(first.older.as_deref().expect("an Older link"))
        .await
        .history();
    let entries = &older.entries;
    assert_eq!(entries.len(), 12, "{entries:?}");
    assert_eq!(
        (entries[0].action, entries[0].version),
        (HistoryAction::Updated, 12)
    );
    assert_eq!(
        (entries[11].action, entries[11].version),
        (HistoryAction::Created, 1)
    );
    assert!(older.older.is_none());
    browser
        .get(&format!("{path}/history?page=99"))
        .await
        .assert_status(StatusCode::OK);
    browser
        .get(&format!("{path}/history?page=x"))
        .await
        .assert_status(StatusCode::OK);

    // My changes (the header's link): the log by oneself, newest first,
    // by pages.
    let mine = browser
        .get("/students")
        .await
        .href("nav a[href^='/changes?by=']")
        .expect("a My changes link");
    let mine = browser.get(&mine).await.change_log();
    assert_eq!(mine.heading, "My changes");
    assert_eq!(mine.entries.len(), 50);
    assert_eq!(mine.entries[0].version, Some(61), "{:?}", mine.entries[0]);
    let rest = browser
        .get(mine.older.as_deref().expect("an Older link"))
        .await
        .change_log();
    assert_eq!(rest.entries.len(), 11);
    assert_eq!(
        (rest.entries[10].action, rest.entries[10].version),
        (HistoryAction::Created, Some(1))
    );
    assert!(rest.older.is_none());
    let theirs = grace.get("/changes?by=grace").await.change_log();
    assert_eq!(theirs.heading, "My changes");
    assert_eq!(theirs.entries.len(), 1);
    assert_eq!(
        (theirs.entries[0].action, theirs.entries[0].version),
        (HistoryAction::Updated, Some(62))
    );
    browser
        .get("/changes?before=abc")
        .await
        .assert_status(StatusCode::OK);
}
