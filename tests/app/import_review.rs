//! Import review (contract §12, which amends §6): the preview shows each
//! update's changed fields old → new and every row, a page at a time, of
//! one class or all; invalid and unknown rows no longer block a file: the
//! confirm writes the clean rows and refuses the others, and the result,
//! its CSV and the command line say why each was refused. All or nothing
//! still writes nothing unless every row is clean. Real HTTP, every
//! backend.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use registrar::db::entities::import::{self, ImportState};
use registrar::db::entities::revision::Action;
use registrar::db::entities::student;
use registrar::students::demo;
use registrar::testing::{Backend, ImportOutcome, ImportResult, NotImportedBecause, TestApp};
use sea_orm::{EntityTrait, QueryOrder};

use crate::db_checks;
use crate::roundtrip::{confirmed, uploaded};
use crate::{on_every_backend, spawn_app};
use registrar::access::ViewKind;

on_every_backend!(
    the_clean_rows_are_written_and_the_others_refused_saying_why,
    all_or_nothing_with_an_invalid_row_writes_nothing,
    every_row_is_reviewed_a_page_at_a_time_and_by_class,
    a_number_taken_since_the_check_refuses_that_row_saying_so,
    the_import_command_writes_the_clean_rows_and_lists_the_others,
);

const GRACE: (&str, &str) = ("grace", "grace's long password");
/// An id no student has.
const NOBODY: i64 = 999_999;

/// A CSV cell, quoted.
fn cell(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The revisions of a student written by the import are all its changes:
/// version − 1 updates after its creation, each one a revision.
async fn assert_every_change_is_a_revision(app: &TestApp, id: i64) {
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        db_checks::all_revisions(&app.db, id).await,
        u64::try_from(stored.version).unwrap(),
        "student {id}: version − 1 = revisions after the first"
    );
}

fn refused_because(result: &ImportResult, line: u64) -> (NotImportedBecause, String) {
    let row = result
        .rows
        .iter()
        .find(|r| r.line == Some(line) && r.not_imported.is_some())
        .unwrap_or_else(|| panic!("no refused row at line {line}: {result:?}"));
    let mut said = row.why.clone().unwrap_or_default();
    for problem in &row.problems {
        said.push_str(&format!(" [{}] {}", problem.field, problem.message));
    }
    (row.not_imported.unwrap(), said)
}

async fn the_clean_rows_are_written_and_the_others_refused_saying_why(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar(GRACE.0, GRACE.1).await;
    let browser = app.signed_in_browser().await;
    let grace = app.signed_in_as(GRACE.0, GRACE.1).await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    app.edit_student(&browser, ada, &[("student_number", "ab-1")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let cy = app.create_student(&browser, "Cy", "3 Oak Ave", "2").await;
    let dan = app
        .create_student(&browser, "Dan", "4 Pine Ct", "2.5")
        .await;

    // A file without a student number column: Ada's address changes (her
    // number stays as it is), Bob is untouched, Cy's GPA changes but grace
    // changes Cy meanwhile, Dan's GPA is no number, one id is nobody's, one
    // new student and one new row with a bad GPA.
    let file = format!(
        "id,name,address,gpa,version\n\
         {ada},Ada,9 New Rd,3,2\n\
         {bob},Bob,2 Elm St,3,1\n\
         {cy},Cy,3 Oak Ave,2.5,1\n\
         {dan},Dan,4 Pine Ct,five,1\n\
         {NOBODY},Nobody,5 Nowhere,1,1\n\
         ,Eve,6 New St,3.9,\n\
         ,Fay,7 New St,x,\n"
    );
    app.edit_student(&grace, cy, &[("address", "3 Oak Avenue")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await;
    preview.assert_status(StatusCode::OK);
    let preview = preview.import_preview();
    let counts: Vec<u64> = [
        ImportOutcome::Create,
        ImportOutcome::Update,
        ImportOutcome::Unchanged,
        ImportOutcome::Conflict,
        ImportOutcome::Deleted,
        ImportOutcome::Unknown,
        ImportOutcome::Invalid,
    ]
    .into_iter()
    .map(|o| preview.count(o))
    .collect();
    assert_eq!(counts, [1, 1, 1, 1, 0, 1, 2], "{preview:?}");
    // Said before the confirm, which is offered.
    let notice = preview.not_imported.as_ref().expect("the notice");
    assert_eq!(notice.rows, 4, "{notice:?}");
    assert!(
        notice.text.starts_with("4 rows will not be imported"),
        "{notice:?}"
    );
    assert_eq!(
        notice.links.len(),
        3,
        "invalid, unknown, conflict: {notice:?}"
    );
    assert!(preview.confirm.is_some(), "invalid rows no longer block");
    assert!(preview.blocked.is_none());
    // The update: the one field it changes, old → new (no number change).
    let update = preview.row_at(2).expect("line 2");
    assert_eq!(update.outcome, ImportOutcome::Update);
    let changes: Vec<(&str, &str, &str)> = update
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.old.as_str(), c.new.as_str()))
        .collect();
    assert_eq!(changes, [("address", "1 Main St", "9 New Rd")]);
    // Why each other row will not be imported.
    let why = |line| {
        let row = preview.row_at(line).expect("listed");
        (row.not_imported, row.why.clone().unwrap_or_default())
    };
    assert_eq!(why(3).0, None, "unchanged");
    assert_eq!(why(4).0, Some(NotImportedBecause::Stale));
    assert_eq!(why(5).0, Some(NotImportedBecause::Invalid));
    let (unknown, said) = why(6);
    assert_eq!(unknown, Some(NotImportedBecause::Unknown));
    assert!(
        said.contains(&format!("no student with id {NOBODY}")),
        "{said}"
    );
    assert_eq!(why(7).0, None, "the create");
    assert_eq!(why(8).0, Some(NotImportedBecause::Invalid));

    let result = confirmed(&browser, &path, &[]).await.import_result();
    assert_eq!(
        (result.written, result.refused, result.unchanged),
        (2, 4, 1),
        "{result:?}"
    );
    assert_eq!(result.failure, None);
    // Exactly the clean rows are written, each change a revision.
    let stored = db_checks::student(&app.db, ada).await;
    assert_eq!(
        (
            stored.address.as_str(),
            stored.student_number.as_deref(),
            stored.version
        ),
        ("9 New Rd", Some("AB-1"), 3)
    );
    assert_eq!(
        db_checks::revisions(&app.db, ada, Action::Imported).await,
        1
    );
    let students = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(students.len(), 5, "Eve alone was created");
    let eve = students.last().unwrap();
    assert_eq!((eve.name.as_str(), eve.version), ("Eve", 1));
    for student in &students {
        assert_every_change_is_a_revision(&app, student.id).await;
    }
    assert_eq!(db_checks::student(&app.db, bob).await.version, 1);
    assert_eq!(db_checks::student(&app.db, dan).await.version, 1);
    let cy_now = db_checks::student(&app.db, cy).await;
    assert_eq!((cy_now.version, cy_now.gpa_hundredths), (2, 200));
    // Only the stale row is kept in its record's history.
    assert_eq!(db_checks::conflicts(&app.db, cy).await.len(), 1);
    assert_eq!(db_checks::conflicts(&app.db, dan).await.len(), 0);

    // The result says why each refused row was refused.
    let (because, said) = refused_because(&result, 4);
    assert_eq!(because, NotImportedBecause::Stale, "{said}");
    assert!(said.contains("since version 1"), "{said}");
    let (because, said) = refused_because(&result, 5);
    assert_eq!(because, NotImportedBecause::Invalid, "{said}");
    assert!(said.contains("[gpa]"), "{said}");
    let (because, said) = refused_because(&result, 6);
    assert_eq!(because, NotImportedBecause::Unknown, "{said}");
    assert!(said.contains(&NOBODY.to_string()), "{said}");
    let (because, said) = refused_because(&result, 8);
    assert_eq!(because, NotImportedBecause::Invalid, "{said}");
    // A merge page for the stale row only; none for an invalid one.
    assert_eq!(result.merge_links.len(), 1, "{result:?}");
    assert!(result.merge_links[0].ends_with("/rows/2/merge"));
    let merge = browser.get(&result.merge_links[0]).await.import_merge();
    assert_eq!(merge.merge.value("gpa"), Some("2.50"));
    browser
        .get(&format!("{path}/rows/3/merge"))
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The refused rows' CSV: each with its reason, last.
    let csv = browser.get(result.refused_csv.as_deref().unwrap()).await;
    csv.assert_status(StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 5, "{}", csv.body);
    assert!(lines[0].ends_with(",reason"), "{}", lines[0]);
    let line_of = |start: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start:?} in {}", csv.body))
            .to_owned()
    };
    assert!(line_of(&format!("{cy},")).contains("Changed by someone else"));
    assert!(line_of(&format!("{dan},")).contains("Invalid: GPA"));
    let nobody = line_of(&format!("{NOBODY},"));
    assert!(
        nobody.starts_with(&format!("{NOBODY},Nobody,5 Nowhere,1.00,1,6,1,")),
        "the file's own values where there is no record: {nobody}"
    );
    assert!(nobody.ends_with(&format!("There is no student with id {NOBODY}.")));
    assert!(line_of(",Fay,").contains("Invalid: GPA"));
    // Both showed records' values: the access log has them (§15).
    let import_id = path.rsplit('/').next().unwrap_or_default().to_owned();
    let log = crate::access_log::eventually(&app.db, "the merge page and the CSV", |e| {
        e.iter().any(|e| e.kind == ViewKind::RefusedExport)
    })
    .await;
    let merged = log.iter().find(|e| e.kind == ViewKind::MergeForm);
    assert_eq!(merged.map(|e| e.student_id), Some(Some(cy)));
    let export = log.iter().find(|e| e.kind == ViewKind::RefusedExport);
    assert_eq!(
        export.map(|e| (e.query.clone(), e.rows)),
        Some((Some(format!("import={import_id}")), Some(4)))
    );

    // A file with the number column: a number change is a change.
    let file = format!("id,name,address,gpa,version,student_number\n{ada},Ada,9 New Rd,3,3,ab-2\n");
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await.import_preview();
    let changes: Vec<(&str, &str, &str)> = preview.rows[0]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.old.as_str(), c.new.as_str()))
        .collect();
    assert_eq!(changes, [("student_number", "AB-1", "AB-2")]);
    assert!(preview.not_imported.is_none(), "every row will be imported");
}

async fn all_or_nothing_with_an_invalid_row_writes_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let file = format!(
        "id,name,address,gpa,version\n{ada},Ada,9 New Rd,3,1\n{bob},Bob,2 Elm St,nope,1\n,Eve,6 New St,3.9,\n"
    );
    let path = uploaded(&browser, file).await;
    let answer = browser
        .post_with_token(&path, &[("all_or_nothing", "1")])
        .await;
    answer.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let refused = answer.import_preview();
    let why = refused.blocked.clone().expect("the page says why");
    assert!(
        why.contains("all or nothing") && why.contains("1 row is invalid"),
        "{why}"
    );
    assert!(
        refused.confirm.is_some(),
        "it can still be confirmed without"
    );
    assert_eq!(db_checks::student(&app.db, ada).await.version, 1);
    assert_eq!(db_checks::student_count(&app.db).await, 2);
    assert_eq!(db_checks::conflicts(&app.db, bob).await.len(), 0);
    let state = import::Entity::find_by_id(path.rsplit('/').next().unwrap().to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .state;
    assert_eq!(state, ImportState::Pending, "nothing started");
    // Without it, the clean rows are written.
    let result = confirmed(&browser, &path, &[]).await.import_result();
    assert_eq!((result.written, result.refused), (2, 1), "{result:?}");
    assert_eq!(db_checks::student(&app.db, ada).await.version, 2);
    assert_eq!(db_checks::student(&app.db, bob).await.version, 1);
    assert_eq!(db_checks::student_count(&app.db).await, 3);
}

/// The rows of the paging test, by class.
const UPDATES: usize = 40;
const UNCHANGED: usize = 20;
const CREATES: usize = 55;
const INVALID: usize = 12;
const UNKNOWN: usize = 8;
const ROWS: usize = UPDATES + UNCHANGED + CREATES + INVALID + UNKNOWN;

async fn every_row_is_reviewed_a_page_at_a_time_and_by_class(backend: Backend) {
    let app = spawn_app!(backend);
    demo::fill(&app.db, (UPDATES + UNCHANGED) as u64, 7, false, |_| {})
        .await
        .unwrap();
    let browser = app.signed_in_browser().await;
    let students = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let existing = |s: &student::Model, gpa: &str| {
        format!(
            "{},{},{},{gpa},{}",
            s.id,
            cell(&s.name),
            cell(&s.address),
            s.version
        )
    };
    let mut rows: Vec<(ImportOutcome, String)> = Vec::new();
    for (i, s) in students.iter().enumerate() {
        if i < UPDATES {
            // Demo GPAs are 1.50 and up.
            rows.push((ImportOutcome::Update, existing(s, "1.11")));
        } else {
            let gpa = format!("{}.{:02}", s.gpa_hundredths / 100, s.gpa_hundredths % 100);
            rows.push((ImportOutcome::Unchanged, existing(s, &gpa)));
        }
    }
    rows.extend((0..CREATES).map(|i| (ImportOutcome::Create, format!(",New {i},{i} New St,3,"))));
    rows.extend((0..INVALID).map(|i| (ImportOutcome::Invalid, format!(",Bad {i},{i} Bad St,x,"))));
    rows.extend((0..UNKNOWN).map(|i| {
        (
            ImportOutcome::Unknown,
            format!("{},Nobody,1 Nowhere,1,1", NOBODY - i as i64),
        )
    }));
    // Spread the classes through the file (37 is prime to the row count).
    let order: Vec<usize> = (0..ROWS).map(|i| i * 37 % ROWS).collect();
    let mut file = String::from("id,name,address,gpa,version\n");
    let mut expected: BTreeMap<u64, ImportOutcome> = BTreeMap::new();
    for (place, &i) in order.iter().enumerate() {
        file.push_str(&rows[i].1);
        file.push('\n');
        expected.insert(place as u64 + 2, rows[i].0);
    }
    assert_eq!(expected.len(), ROWS, "every row placed once");
    let path = uploaded(&browser, file).await;

    // Every row, in file order, page after page, each exactly once.
    let first = browser.get(&path).await.import_preview();
    assert_eq!(first.rows.len(), 50);
    assert_eq!(first.previous_page, None);
    let counts = first.counts.clone();
    assert_eq!(counts.values().sum::<u64>(), ROWS as u64);
    let mut seen: Vec<u64> = Vec::new();
    let mut pages = Vec::new();
    let mut next = Some(path.clone());
    while let Some(at) = next {
        let page = browser.get(&at).await;
        page.assert_status(StatusCode::OK);
        let preview = page.import_preview();
        assert_eq!(preview.counts, counts, "the counts stay on top of {at}");
        for row in &preview.rows {
            let line = row.line.expect("a line");
            assert_eq!(Some(&row.outcome), expected.get(&line), "line {line}");
            seen.push(line);
        }
        pages.push((at, preview.rows.len(), preview.previous_page.clone()));
        next = preview.next_page;
    }
    let lines: Vec<u64> = expected.keys().copied().collect();
    assert_eq!(seen, lines, "every row once, in file order");
    assert_eq!(
        pages.iter().map(|(_, n, _)| *n).collect::<Vec<_>>(),
        [50, 50, ROWS - 100]
    );
    // "Previous" leads back to exactly the page before.
    let back = browser
        .get(pages[2].2.as_deref().expect("a previous page"))
        .await
        .import_preview();
    let second = browser.get(&pages[1].0).await.import_preview();
    assert_eq!(back.rows, second.rows);

    // One class at a time: its rows only, all of them, paged the same way.
    for (outcome, word, count) in [
        (ImportOutcome::Update, "update", UPDATES),
        (ImportOutcome::Unchanged, "unchanged", UNCHANGED),
        (ImportOutcome::Create, "create", CREATES),
        (ImportOutcome::Invalid, "invalid", INVALID),
        (ImportOutcome::Unknown, "unknown", UNKNOWN),
    ] {
        let filtered = format!("{path}?outcome={word}");
        let page = browser.get(&filtered).await.import_preview();
        assert_eq!(page.showing, Some(outcome), "{word}");
        let rows = browser.every_import_row(&filtered).await;
        assert_eq!(rows.len(), count, "{word}");
        assert!(rows.iter().all(|r| r.outcome == outcome), "{word}");
        let lines: Vec<u64> = rows.iter().map(|r| r.line.unwrap()).collect();
        let wanted: Vec<u64> = expected
            .iter()
            .filter(|(_, o)| **o == outcome)
            .map(|(line, _)| *line)
            .collect();
        assert_eq!(lines, wanted, "{word}");
    }
    // Every update shows its one change, old → new.
    for row in browser
        .every_import_row(&format!("{path}?outcome=update"))
        .await
    {
        let changes: Vec<(&str, &str)> = row
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.new.as_str()))
            .collect();
        assert_eq!(changes, [("gpa", "1.11")], "{row:?}");
        let id = row.id.expect("an id");
        let stored = students.iter().find(|s| s.id == id).unwrap();
        assert_eq!(
            row.changes[0].old,
            format!(
                "{}.{:02}",
                stored.gpa_hundredths / 100,
                stored.gpa_hundredths % 100
            )
        );
    }
    // Nothing to say for the unchanged ones and the creates.
    for row in browser
        .every_import_row(&format!("{path}?outcome=create"))
        .await
    {
        assert!(
            row.changes.is_empty() && row.not_imported.is_none(),
            "{row:?}"
        );
    }

    // A class or place that names nothing is ignored, as the list ignores
    // one; a query that is not UTF-8 is a 400 page.
    for query in [
        "outcome=bogus",
        "outcome=",
        "after=x",
        "before=-1",
        "outcome=UPDATE",
    ] {
        let page = browser.get(&format!("{path}?{query}")).await;
        page.assert_status(StatusCode::OK);
        let preview = page.import_preview();
        assert_eq!(preview.showing, None, "{query}");
        assert_eq!(preview.rows, first.rows, "{query}");
    }
    let far = browser.get(&format!("{path}?after=100000")).await;
    far.assert_status(StatusCode::OK);
    assert!(far.import_preview().rows.is_empty());
    browser
        .get(&format!("{path}?outcome=%FF"))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // The notice counts what will not be imported.
    assert_eq!(
        first.not_imported.as_ref().map(|n| n.rows),
        Some((INVALID + UNKNOWN) as u64)
    );
}

async fn a_number_taken_since_the_check_refuses_that_row_saying_so(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar(GRACE.0, GRACE.1).await;
    let browser = app.signed_in_browser().await;
    let grace = app.signed_in_as(GRACE.0, GRACE.1).await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let cy = app.create_student(&browser, "Cy", "3 Oak Ave", "2").await;
    let file = format!(
        "id,name,address,gpa,version,student_number\n{ada},Ada,1 Main St,3.5,1,\n{bob},Bob,2 Elm St,3,1,zz-9\n"
    );
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Update), 2, "{preview:?}");
    // Grace gives Cy that number before the confirm.
    app.edit_student(&grace, cy, &[("student_number", "ZZ-9")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let result = confirmed(&browser, &path, &[]).await.import_result();
    assert_eq!((result.written, result.refused), (1, 1), "{result:?}");
    let (because, said) = refused_because(&result, 3);
    assert_eq!(because, NotImportedBecause::NumberTaken, "{said}");
    assert!(said.contains("Student number taken"), "{said}");
    assert!(said.contains("[student_number]"), "{said}");
    assert!(
        result.merge_links.is_empty(),
        "nothing to merge: {result:?}"
    );
    assert_eq!(db_checks::student(&app.db, bob).await.version, 1);
    assert_eq!(db_checks::conflicts(&app.db, bob).await.len(), 0);
    assert_eq!(db_checks::student(&app.db, ada).await.version, 2);
    let csv = browser.get(result.refused_csv.as_deref().unwrap()).await;
    assert!(
        csv.body.contains("given to another student"),
        "{}",
        csv.body
    );
}

async fn the_import_command_writes_the_clean_rows_and_lists_the_others(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let file = format!(
        "id,name,address,gpa,version\n{ada},Ada,9 New Rd,3,1\n{bob},Bob,2 Elm St,nope,1\n{NOBODY},X,Y,1,1\n,Eve,6 New St,3.9,\n"
    );
    let path = std::env::temp_dir().join(format!(
        "registrar-review-{}-{}.csv",
        std::process::id(),
        app.address.port()
    ));
    std::fs::write(&path, file).unwrap();
    let run = |all_or_nothing: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_registrar"));
        command
            .args([
                "import",
                path.to_str().unwrap(),
                "--as",
                registrar::testing::REGISTRAR,
            ])
            .env("DATABASE_URL", app.database_url())
            .env("RUST_LOG", "warn");
        if all_or_nothing {
            command.arg("--all-or-nothing");
        }
        command.output().expect("the registrar binary runs")
    };
    // All or nothing: nothing, saying why.
    let refused = run(true);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("nothing was imported: all or nothing"),
        "{stderr}"
    );
    assert_eq!(db_checks::student_count(&app.db).await, 2);
    // Otherwise the clean rows, and each other one with why.
    let done = run(false);
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!done.status.success(), "a refused row exits non-zero");
    assert!(
        stdout.contains("1 to create, 1 to update") && stdout.contains("1 unknown, 1 invalid"),
        "{stdout}"
    );
    assert!(stdout.contains("2 written, 2 refused"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "refused: line 3, id {bob}, version 1: Invalid: GPA"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "refused: line 4, id {NOBODY}, version 1: There is no student with id {NOBODY}."
        )),
        "{stderr}"
    );
    assert_eq!(db_checks::student(&app.db, ada).await.version, 2);
    assert_eq!(db_checks::student(&app.db, bob).await.version, 1);
    assert_eq!(db_checks::student_count(&app.db).await, 3);
}
