//! The spreadsheet round-trip (contract §6): export, change the file,
//! import it back; what others changed meanwhile is never overwritten.
//! Real HTTP and multipart uploads on every backend.

use std::collections::HashMap;

use axum::http::StatusCode;
use registrar::db::entities::import::{self, ImportState};
use registrar::db::entities::revision::{self, Action};
use registrar::db::entities::{conflict, registrar as account, student};
use registrar::students::demo;
use registrar::testing::{
    Backend, Browser, FieldStatus, HistoryAction, ImportOutcome, Page, TestApp,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::db_checks;
use crate::process::ServerProcess;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    the_round_trip_writes_what_is_clean_and_refuses_what_changed,
    single_saves_flow_while_an_import_is_written,
    two_overlapping_imports_confirmed_at_once_write_each_row_once,
    a_job_whose_instance_stopped_is_resumed_or_failed,
    a_job_whose_process_was_killed_or_stopped_is_finished_by_another,
    a_batch_commits_only_while_its_instance_holds_the_job,
    all_or_nothing_writes_nothing_unless_every_row_is_clean,
    the_upload_limit_is_on_the_file_and_any_byte_is_handled,
    spreadsheet_dialects_are_read_exactly_or_refused_by_line,
    the_import_command_prints_counts_and_each_refused_row,
);

const GRACE: (&str, &str) = ("grace", "grace's long password");

/// Uploads `csv`; panics unless it is kept (`303`); returns the preview's
/// path.
pub(crate) async fn uploaded(browser: &Browser, csv: impl Into<Vec<u8>>) -> String {
    let answer = browser.upload_csv("students.csv", csv).await;
    answer.assert_status(StatusCode::SEE_OTHER);
    answer.location().expect("a preview").to_owned()
}

/// Confirms the import at `path` and waits for its result page.
pub(crate) async fn confirmed(browser: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    browser
        .post_with_token(path, fields)
        .await
        .assert_redirect_to(path);
    browser.wait_for_import(path).await
}

/// The export's lines, with `edit` applied to the line of student `id`.
fn edit_line(csv: &str, id: i64, edit: impl Fn(&mut Vec<String>)) -> String {
    csv.lines()
        .map(|line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
            if cells[0] == id.to_string() {
                edit(&mut cells);
            }
            cells.join(",") + "\r\n"
        })
        .collect()
}

/// The export with every row's GPA set to `gpa` (the last five columns
/// are gpa, version, updated_at, student_number, confidential; names and
/// addresses may hold commas).
pub(crate) fn every_gpa(csv: &str, gpa: &str) -> String {
    csv.lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                return format!("{line}\r\n");
            }
            let mut parts: Vec<&str> = line.rsplitn(6, ',').collect();
            parts[4] = gpa;
            parts.reverse();
            parts.join(",") + "\r\n"
        })
        .collect()
}

async fn import_state(app: &TestApp, id: &str) -> import::Model {
    import::Entity::find_by_id(id.to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the import")
}

fn import_id(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

async fn the_round_trip_writes_what_is_clean_and_refuses_what_changed(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar(GRACE.0, GRACE.1).await;
    let browser = app.signed_in_browser().await;
    let grace = app.signed_in_as(GRACE.0, GRACE.1).await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let cy = app.create_student(&browser, "Cy", "3 Oak Ave", "2").await;

    // Export, then change two rows of the file: Ada's address, Bob's GPA.
    let export = browser.get("/students.csv").await;
    export.assert_status(StatusCode::OK);
    let file = edit_line(&export.body, ada, |cells| cells[2] = "9 New Rd".into());
    let file = edit_line(&file, bob, |cells| cells[3] = "3.50".into());

    // Meanwhile another registrar saves Bob (and Cy, untouched in the file).
    app.edit_student(&grace, bob, &[("name", "Bobby")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.edit_student(&grace, cy, &[("address", "4 Pine Ct")])
        .await
        .assert_status(StatusCode::SEE_OTHER);

    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await;
    preview.assert_status(StatusCode::OK);
    let preview = preview.import_preview();
    assert_eq!(preview.count(ImportOutcome::Update), 1, "{preview:?}");
    assert_eq!(preview.count(ImportOutcome::Conflict), 1);
    // Cy's row equals the values at its version: unchanged, not a conflict.
    assert_eq!(preview.count(ImportOutcome::Unchanged), 1);
    let conflict = preview.rows_of(ImportOutcome::Conflict);
    assert_eq!(conflict[0].id, Some(bob));
    // The conflict page's three-way comparison, with who changed it.
    let compared = &preview.comparisons[0];
    assert_eq!(compared.id, bob);
    let gpa = compared.field("gpa");
    assert_eq!(
        (
            gpa.when_opened.as_deref(),
            gpa.yours.as_str(),
            gpa.now.as_str()
        ),
        (Some("3.00"), "3.50", "3.00")
    );
    assert_eq!(gpa.status, FieldStatus::ChangedByYou);
    let name = compared.field("name");
    assert_eq!(
        (
            name.when_opened.as_deref(),
            name.yours.as_str(),
            name.now.as_str()
        ),
        (Some("Bob"), "Bob", "Bobby")
    );
    assert_eq!(name.status, FieldStatus::ChangedByThem);
    assert_eq!(compared.changes.len(), 1);
    assert_eq!(compared.changes[0].registrar, "grace");

    // Only the uploader sees it.
    grace.get(&path).await.assert_status(StatusCode::NOT_FOUND);
    grace
        .post_with_token(&path, &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let result = confirmed(&browser, &path, &[]).await.import_result();
    assert_eq!((result.written, result.refused), (1, 1), "{result:?}");
    assert_eq!(result.failure, None);

    // The update: version + 1, an `imported` revision.
    let stored = db_checks::student(&app.db, ada).await;
    assert_eq!((stored.version, stored.address.as_str()), (2, "9 New Rd"));
    assert_eq!(
        db_checks::revisions(&app.db, ada, Action::Imported).await,
        1
    );
    // The conflict: version unchanged, a conflict entry in its history.
    let stored = db_checks::student(&app.db, bob).await;
    assert_eq!(
        (stored.version, stored.name.as_str(), stored.gpa_hundredths),
        (2, "Bobby", 300)
    );
    let kept = db_checks::conflicts(&app.db, bob).await;
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].submitted_version, kept[0].current_version), (1, 2));
    assert_eq!(kept[0].gpa.as_deref(), Some("3.50"));
    let history = browser
        .get(&format!("/students/{bob}/history"))
        .await
        .history();
    assert!(
        history
            .entries
            .iter()
            .any(|e| e.action == HistoryAction::Conflict),
        "{history:?}"
    );
    assert_eq!(db_checks::student(&app.db, cy).await.version, 2);

    // The merge page: the conflict page's form, the file's GPA on top of
    // the current record.
    assert_eq!(result.merge_links.len(), 1);
    let merge = browser.get(&result.merge_links[0]).await.import_merge();
    assert_eq!(merge.current_version, 2);
    assert_eq!(merge.merge.value("gpa"), Some("3.50"));
    assert_eq!(merge.merge.value("name"), Some("Bobby"));

    // The refused rows as CSV: current values and version in the import's
    // columns, the file's beside them.
    let csv = browser.get(result.refused_csv.as_deref().unwrap()).await;
    csv.assert_status(StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[0].starts_with("id,name,address,gpa,version,"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(",reason"), "{}", lines[0]);
    assert!(
        lines[1].starts_with(&format!("{bob},Bobby,2 Elm St,3.00,2,")),
        "{}",
        lines[1]
    );
    // Then the fields added since (student_number, confidential): no
    // number and no hold, in both; then why the row was refused.
    assert!(
        lines[1].contains(
            ",1,Bob,2 Elm St,3.50,,,false,false,\"Changed by someone else since version 1"
        ),
        "{}",
        lines[1]
    );
    // Fixed (the file's GPA kept) and imported again: it goes in cleanly.
    let fixed = csv
        .body
        .replacen("Bobby,2 Elm St,3.00,2", "Bobby,2 Elm St,3.50,2", 1);
    let again = uploaded(&browser, fixed).await;
    let preview = browser.get(&again).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Update), 1, "{preview:?}");
    let result = confirmed(&browser, &again, &[]).await.import_result();
    assert_eq!((result.written, result.refused), (1, 0));
    let stored = db_checks::student(&app.db, bob).await;
    assert_eq!(
        (stored.version, stored.name.as_str(), stored.gpa_hundredths),
        (3, "Bobby", 350)
    );
}

/// Every record's version − 1 is its number of changes after creation,
/// and each change is a revision.
async fn assert_no_lost_update(app: &TestApp, ids: &[i64]) {
    for &id in ids {
        let stored = db_checks::student(&app.db, id).await;
        let changes = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(id))
            .filter(revision::Column::Version.gt(1))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(
            u64::try_from(stored.version - 1).unwrap(),
            changes,
            "student {id}"
        );
    }
}

/// How many `imported` revisions there are.
async fn imported_revisions(app: &TestApp) -> u64 {
    revision::Entity::find()
        .filter(revision::Column::Action.eq(Action::Imported))
        .count(&app.db)
        .await
        .unwrap()
}

/// How many students are at another version than `version`.
async fn students_not_at_version(app: &TestApp, version: i64) -> u64 {
    student::Entity::find()
        .filter(student::Column::Version.ne(version))
        .count(&app.db)
        .await
        .unwrap()
}

async fn students_in_order(app: &TestApp) -> Vec<student::Model> {
    student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn single_saves_flow_while_an_import_is_written(backend: Backend) {
    // Three batches: on PostgreSQL and MariaDB two of them in flight at once.
    const ROWS: u64 = 1_200;
    const EDITORS: usize = 4;
    const EDITS: usize = 10;
    let app = spawn_app!(backend);
    demo::fill(&app.db, ROWS, 3, false, |_| {}).await.unwrap();
    let browser = app.signed_in_browser().await;
    let export = browser.get("/students.csv").await;
    // Every row changes its GPA in the file (demo GPAs are 1.50 and up).
    let file = every_gpa(&export.body, "1.11");
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await.import_preview();
    let ids: Vec<i64> = students_in_order(&app).await.iter().map(|s| s.id).collect();
    let clean = preview.count(ImportOutcome::Update);
    assert_eq!(clean, ROWS, "{:?}", preview.counts);

    let editors = app.signed_in_browsers(EDITORS).await;
    browser
        .post_with_token(&path, &[])
        .await
        .assert_redirect_to(&path);
    let saves = futures_util::future::join_all(editors.iter().enumerate().map(|(e, editor)| {
        let app = &app;
        let ids = &ids;
        async move {
            let mut saved = Vec::new();
            for n in 0..EDITS {
                let id = ids[(e * 97 + n * 31) % ids.len()];
                let answer = app
                    .edit_student(editor, id, &[("name", &format!("Editor {e} {n}"))])
                    .await;
                match answer.status {
                    StatusCode::SEE_OTHER => saved.push((id, format!("Editor {e} {n}"))),
                    StatusCode::CONFLICT => {}
                    other => panic!("a single save answered {other}: {}", answer.body),
                }
            }
            saved
        }
    }))
    .await;
    let result = browser.wait_for_import(&path).await.import_result();
    assert_eq!(result.failure, None);
    let saved: Vec<(i64, String)> = saves.into_iter().flatten().collect();
    assert!(!saved.is_empty(), "single saves went through meanwhile");

    assert_no_lost_update(&app, &ids).await;
    // Every 303 save is in the history exactly once.
    for (id, name) in &saved {
        let found = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(*id))
            .filter(revision::Column::Action.eq(Action::Updated))
            .filter(revision::Column::Name.eq(name.as_str()))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(found, 1, "the save of {name} on {id}");
    }
    // Every row reported written is one `imported` revision.
    let imported = imported_revisions(&app).await;
    assert_eq!(imported, result.written);
    let state = import_state(&app, &import_id(&path)).await;
    assert_eq!(
        (state.written, state.refused),
        (
            i64::try_from(result.written).unwrap(),
            i64::try_from(result.refused).unwrap()
        )
    );
    assert_eq!(result.written + result.refused, clean);
    let kept = conflict::Entity::find().count(&app.db).await.unwrap();
    assert!(kept >= result.refused);
}

async fn two_overlapping_imports_confirmed_at_once_write_each_row_once(backend: Backend) {
    // Three batches each: up to four transactions at once on PostgreSQL and
    // MariaDB, two of each job, over the same students.
    const ROWS: u64 = 1_100;
    let app = spawn_app!(backend);
    app.create_registrar(GRACE.0, GRACE.1).await;
    demo::fill(&app.db, ROWS, 5, false, |_| {}).await.unwrap();
    let ada = app.signed_in_browser().await;
    let grace = app.signed_in_as(GRACE.0, GRACE.1).await;
    let export = ada.get("/students.csv").await;
    let first = uploaded(&ada, every_gpa(&export.body, "1.11")).await;
    let second = uploaded(&grace, every_gpa(&export.body, "1.22")).await;
    let (a, b) = tokio::join!(
        ada.post_with_token(&first, &[]),
        grace.post_with_token(&second, &[])
    );
    a.assert_redirect_to(&first);
    b.assert_redirect_to(&second);
    let (a, b) = tokio::join!(ada.wait_for_import(&first), grace.wait_for_import(&second));
    let (a, b) = (a.import_result(), b.import_result());
    assert_eq!((a.failure.clone(), b.failure.clone()), (None, None));
    // Each row was written by exactly one of them, at version 1 → 2.
    assert_eq!(a.written + b.written, ROWS, "{a:?} {b:?}");
    assert_eq!(a.refused + b.refused, ROWS);
    let ids: Vec<i64> = students_in_order(&app).await.iter().map(|s| s.id).collect();
    assert_no_lost_update(&app, &ids).await;
    for student in students_in_order(&app).await {
        assert_eq!(student.version, 2);
        let imported = db_checks::revisions(&app.db, student.id, Action::Imported).await;
        assert_eq!(imported, 1, "student {}", student.id);
        assert_eq!(db_checks::conflicts(&app.db, student.id).await.len(), 1);
    }
}

/// Marks import `id` as taken by an instance that stopped before writing
/// (its lease ran out), as after a SIGKILL.
async fn stall(app: &TestApp, id: &str) {
    import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Running))
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(Some(registrar::db::now() - chrono::Duration::seconds(60))),
        )
        .filter(import::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn a_job_whose_instance_stopped_is_resumed_or_failed(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar(GRACE.0, GRACE.1).await;
    demo::fill(&app.db, 50, 9, false, |_| {}).await.unwrap();
    let browser = app.signed_in_browser().await;
    let export = browser.get("/students.csv").await;
    // A change in every row: its GPA.
    let file = every_gpa(&export.body, "1.11");
    let path = uploaded(&browser, file.clone()).await;
    let id = import_id(&path);
    stall(&app, &id).await;
    // Any instance shows it, and one takes it over and finishes it.
    let other = app.another_instance().await;
    let elsewhere = other.signed_in_browser().await;
    let running = elsewhere.get(&path).await;
    running.assert_status(StatusCode::OK);
    let result = elsewhere.wait_for_import(&path).await;
    assert!(!result.body.contains("http-equiv=\"refresh\""));
    let result = result.import_result();
    assert_eq!((result.written, result.refused), (50, 0), "{result:?}");
    assert_eq!(import_state(&app, &id).await.state, ImportState::Done);

    // A job whose uploader was disabled meanwhile is marked failed, saying why.
    let grace = app.signed_in_as(GRACE.0, GRACE.1).await;
    let file = every_gpa(&export.body, "1.22");
    let path = uploaded(&grace, file).await;
    let id = import_id(&path);
    account::Entity::update_many()
        .col_expr(
            account::Column::DisabledAt,
            Expr::value(Some(registrar::db::now())),
        )
        .filter(account::Column::Username.eq(GRACE.0))
        .exec(&app.db)
        .await
        .unwrap();
    stall(&app, &id).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let failed = loop {
        let state = import_state(&app, &id).await;
        if state.state != ImportState::Running {
            break state;
        }
        assert!(std::time::Instant::now() < deadline, "still running");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(failed.state, ImportState::Failed);
    assert!(failed.failure.unwrap_or_default().contains("disabled"));
    assert_eq!(failed.written, 0);
    let stored = students_in_order(&app).await;
    assert!(stored.iter().all(|s| s.gpa_hundredths == 111));
}

/// The export's header and the rows whose place among them `keep` picks.
fn rows_where(csv: &str, keep: impl Fn(usize) -> bool) -> String {
    csv.lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || keep(*i))
        .map(|(_, line)| format!("{line}\r\n"))
        .collect()
}

/// Real processes, really stopped: one registrar process is killed with
/// SIGKILL and another stopped with SIGTERM, each while writing an import
/// it was confirmed through. The instance still running takes both over
/// once their leases run out, and every row is written exactly once.
async fn a_job_whose_process_was_killed_or_stopped_is_finished_by_another(backend: Backend) {
    const STUDENTS: usize = 16_000;
    let app = spawn_app!(backend);
    demo::fill(&app.db, STUDENTS as u64, 9, false, |_| {})
        .await
        .unwrap();
    let export = app.signed_in_browser().await.get("/students.csv").await;
    export.assert_status(StatusCode::OK);
    let file = every_gpa(&export.body, "1.11");
    let halves = [
        rows_where(&file, |i| i % 2 == 0),
        rows_where(&file, |i| i % 2 == 1),
    ];
    let mut jobs = Vec::new();
    for (half, kill) in halves.into_iter().zip([true, false]) {
        let mut process = ServerProcess::start(app.database_url()).await;
        let browser = process.signed_in_browser().await;
        let path = uploaded(&browser, half).await;
        browser
            .post_with_token(&path, &[])
            .await
            .assert_redirect_to(&path);
        if kill {
            process.sigkill();
        } else {
            process.sigterm();
        }
        assert!(
            process
                .exit_status(std::time::Duration::from_secs(20))
                .await
                .is_some(),
            "the process exits"
        );
        let id = import_id(&path);
        let stopped = import_state(&app, &id).await;
        assert_eq!(stopped.state, ImportState::Running, "stopped mid-job");
        assert!(
            stopped.written < (STUDENTS / 2) as i64,
            "the job must still have rows to write when its process stops: {stopped:?}"
        );
        jobs.push(id);
    }
    // The test's own instance resumes them: the lease (30 s) runs out.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    for id in &jobs {
        let done = loop {
            let state = import_state(&app, id).await;
            if state.state != ImportState::Running {
                break state;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not resumed: {state:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(done.state, ImportState::Done, "{done:?}");
        assert_eq!((done.written, done.refused), ((STUDENTS / 2) as i64, 0));
    }
    // Each row exactly once: one imported revision per student, version 2.
    let imported = imported_revisions(&app).await;
    assert_eq!(imported, STUDENTS as u64);
    assert_eq!(students_not_at_version(&app, 2).await, 0);
    let at_new_gpa = student::Entity::find()
        .filter(student::Column::GpaHundredths.eq(111))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(at_new_gpa, STUDENTS as u64);
}

/// An instance that lost its job (another took it over while it was still
/// running, say after a long pause) finishes the batches it has in flight,
/// and each of them, renewing the lease as its last statement, finds the
/// lease moved and rolls back: nothing of it is written. The instance that
/// took the job over writes every row, once.
async fn a_batch_commits_only_while_its_instance_holds_the_job(backend: Backend) {
    use registrar::students::import::{job, store};
    const STUDENTS: u64 = 1_200; // three batches: two in flight, then one
    let app = spawn_app!(backend);
    demo::fill(&app.db, STUDENTS, 9, false, |_| {})
        .await
        .unwrap();
    let browser = app.signed_in_browser().await;
    let export = browser.get("/students.csv").await;
    let path = uploaded(&browser, every_gpa(&export.body, "1.11")).await;
    let id = import_id(&path);
    let pending = store::get(&app.db, &id).await.unwrap().expect("import");
    let lost = job::start(&app.db, &pending, false).await.expect("started");

    // Another instance takes the job over: the lease moves.
    let taken = lost + chrono::Duration::minutes(1);
    import::Entity::update_many()
        .col_expr(import::Column::LeaseUntil, Expr::value(Some(taken)))
        .filter(import::Column::Id.eq(&id))
        .exec(&app.db)
        .await
        .unwrap();
    job::run(app.db.clone(), id.clone(), lost).await;
    let after = import_state(&app, &id).await;
    assert_eq!(
        (after.state, after.written, after.lease_until),
        (ImportState::Running, 0, Some(taken)),
        "{after:?}"
    );
    assert_eq!(job::progress(&app.db, &id).await.unwrap(), 0);
    let imported = imported_revisions(&app).await;
    assert_eq!(imported, 0, "a batch of the lost lease committed");
    assert_eq!(students_not_at_version(&app, 1).await, 0);

    // The instance that holds it writes every row exactly once.
    job::run(app.db.clone(), id.clone(), taken).await;
    let done = import_state(&app, &id).await;
    assert_eq!(
        (done.state, done.written, done.refused),
        (ImportState::Done, STUDENTS as i64, 0),
        "{done:?}"
    );
    let students = students_in_order(&app).await;
    let ids: Vec<i64> = students.iter().map(|s| s.id).collect();
    assert_no_lost_update(&app, &ids).await;
    assert!(
        students
            .iter()
            .all(|s| s.version == 2 && s.gpa_hundredths == 111)
    );
}

async fn all_or_nothing_writes_nothing_unless_every_row_is_clean(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let export = browser.get("/students.csv").await;
    let file = edit_line(&export.body, ada, |cells| cells[3] = "4.00".into());
    let file = edit_line(&file, bob, |cells| cells[3] = "1.00".into());
    let path = uploaded(&browser, file.clone()).await;
    let preview = browser.get(&path).await;
    assert!(
        preview.body.contains("at most 5000 rows"),
        "the page states the cap"
    );
    // Bob changes before the confirm: nothing at all is written.
    app.edit_student(&browser, bob, &[("name", "Bobby")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let result = confirmed(&browser, &path, &[("all_or_nothing", "1")])
        .await
        .import_result();
    assert_eq!((result.written, result.refused), (0, 1), "{result:?}");
    assert_eq!(db_checks::student(&app.db, ada).await.version, 1);
    assert_eq!(db_checks::conflicts(&app.db, bob).await.len(), 1);
    // The same file without the stale row: everything is written.
    let file = file
        .lines()
        .filter(|l| !l.starts_with(&format!("{bob},")))
        .collect::<Vec<_>>()
        .join("\r\n");
    let path = uploaded(&browser, file).await;
    let result = confirmed(&browser, &path, &[("all_or_nothing", "1")])
        .await
        .import_result();
    assert_eq!((result.written, result.refused), (1, 0));
    assert_eq!(db_checks::student(&app.db, ada).await.gpa_hundredths, 400);
}

async fn the_upload_limit_is_on_the_file_and_any_byte_is_handled(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    // Exactly 20 MiB of file (mostly an ignored column) is taken, on every
    // backend (the file itself is never stored); one byte more is not.
    let limit = 20 * 1024 * 1024;
    let head = "name,address,gpa,notes\nAda,1 Main St,3,";
    let mut file = head.as_bytes().to_vec();
    file.resize(limit - 1, b'x');
    file.push(b'\n');
    assert_eq!(file.len(), limit);
    let path = uploaded(&browser, file.clone()).await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Create), 1);
    // While a long file is still being checked, its page says so and
    // reloads itself.
    import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Checking))
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(Some(registrar::db::now() + chrono::Duration::seconds(60))),
        )
        .filter(import::Column::Id.eq(import_id(&path)))
        .exec(&app.db)
        .await
        .unwrap();
    let checking = browser.get(&path).await;
    checking.assert_status(StatusCode::OK);
    assert!(checking.is_import_progress(), "{}", checking.body);
    file.insert(head.len(), b'x');
    browser
        .upload_csv("big.csv", file)
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);

    // NUL bytes in an ignored column or header, and in a value.
    let path = uploaded(
        &browser,
        b"name,address,gpa,no\x00tes\nAda,1 Main St,3,a\x00b\nB\x00b,2 Elm St,3,\n".to_vec(),
    )
    .await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Create), 1);
    assert_eq!(preview.count(ImportOutcome::Invalid), 1);
    assert_eq!(preview.problems()[0].line, 3);

    // Any byte, anywhere: handled or refused with a line, never a 5xx.
    for byte in [0_u8, b'"', b'\r', 0x80, 0xC3, 0xFF, b';', b','] {
        for file in [
            [b"name,address,gpa\nA".as_slice(), &[byte], b",B,3\n"].concat(),
            [&[byte], b"name,address,gpa\nA,B,3\n".as_slice()].concat(),
            [b"name,address,gpa\nA,\"B".as_slice(), &[byte], b"\n"].concat(),
        ] {
            let answer = browser.upload_csv("bytes.csv", file.clone()).await;
            assert!(
                answer.status == StatusCode::SEE_OTHER
                    || answer.status == StatusCode::UNPROCESSABLE_ENTITY,
                "{file:?}: {}",
                answer.status
            );
            if answer.status == StatusCode::SEE_OTHER {
                browser.follow(&answer).await.assert_status(StatusCode::OK);
            }
        }
    }
}

async fn spreadsheet_dialects_are_read_exactly_or_refused_by_line(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let quoted = app
        .create_student(&browser, "'=RoundTrip", "'plain", "2")
        .await;
    // Re-saved by a spreadsheet in a decimal-comma locale: BOM, CRLF, `;`,
    // quotes, the export's `'` kept.
    let export = browser.get("/students.csv").await;
    assert!(export.body.contains("''=RoundTrip"), "{}", export.body);
    let file = format!(
        "\u{feff}id;name;address;gpa;version;updated_at\r\n{ada};Ada;\"1 Main St; Apt 2\";3,5;1;x\r\n{quoted};''=RoundTrip;'plain;2,00;1;x\r\n;New;\"5 Elm St\";4;;\r\n"
    );
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Update), 1, "{preview:?}");
    assert_eq!(preview.count(ImportOutcome::Unchanged), 1);
    assert_eq!(preview.count(ImportOutcome::Create), 1);
    let result = confirmed(&browser, &path, &[]).await.import_result();
    assert_eq!(result.written, 2);
    let stored = db_checks::student(&app.db, ada).await;
    assert_eq!(
        (stored.address.as_str(), stored.gpa_hundredths),
        ("1 Main St; Apt 2", 350)
    );
    assert_eq!(
        db_checks::student(&app.db, quoted).await.name,
        "'=RoundTrip"
    );

    // Never misread: an unquoted 3,5 in a comma file, an id twice, a
    // version without an id.
    let file = format!(
        "id,name,address,gpa,version\n{ada},Ada,1 Main St,3,5,2\n{quoted},X,Y,1,1\n{quoted},X,Y,1,1\n,Z,Y,1,4\n"
    );
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Invalid), 4, "{preview:?}");
    // The preview says they will not be imported; confirming refuses them
    // all and writes nothing.
    assert_eq!(preview.not_imported.as_ref().map(|n| n.rows), Some(4));
    let lines: HashMap<u64, Vec<String>> = preview
        .rows_of(ImportOutcome::Invalid)
        .iter()
        .map(|r| {
            (
                r.line.unwrap(),
                r.problems.iter().map(|p| p.field.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(lines[&2], ["file"]);
    assert_eq!(lines[&3], ["id"]);
    assert_eq!(lines[&4], ["id"]);
    assert_eq!(lines[&5], ["version"]);
    let result = confirmed(&browser, &path, &[]).await.import_result();
    assert_eq!((result.written, result.refused), (0, 4), "{result:?}");
    assert_eq!(db_checks::student(&app.db, ada).await.version, 2);
    assert_eq!(db_checks::student(&app.db, quoted).await.version, 1);
    assert_eq!(db_checks::student_count(&app.db).await, 3);
}

async fn the_import_command_prints_counts_and_each_refused_row(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar(GRACE.0, GRACE.1).await;
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let export = browser.get("/students.csv").await;
    let file = every_gpa(&export.body, "1.11");
    app.edit_student(&browser, bob, &[("name", "Bobby")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let path = std::env::temp_dir().join(format!(
        "registrar-roundtrip-{}-{}.csv",
        std::process::id(),
        app.address.port()
    ));
    std::fs::write(&path, file).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(["import", path.to_str().unwrap(), "--as", GRACE.0])
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the registrar binary runs");
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "a refused row exits non-zero");
    assert!(
        stdout.contains("1 to update") && stdout.contains("1 conflict"),
        "{stdout}"
    );
    assert!(stdout.contains("1 written, 1 refused"), "{stdout}");
    assert!(
        stderr.contains(&format!("refused: line 3, id {bob}, version 1")),
        "{stderr}"
    );
    let stored = db_checks::student(&app.db, ada).await;
    assert_eq!((stored.version, stored.gpa_hundredths), (2, 111));
    let imported = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(ada))
        .filter(revision::Column::Version.eq(2))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (imported.action, imported.registrar.as_str()),
        (Action::Imported, "grace")
    );
    assert_eq!(db_checks::conflicts(&app.db, bob).await.len(), 1);
}
