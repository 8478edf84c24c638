//! The tamper-evident history (contract §15) as the app writes it: every
//! write path chains its revision in its own transaction, concurrent
//! writers of many students and of one hot student leave every chain
//! whole, and the history page says whether the record's chain holds.

use std::sync::Arc;

use axum::http::StatusCode;
use registrar::audit::Scope;
use registrar::audit::check::Break;
use registrar::audit::verify::{Tally, verify};
use registrar::db::entities::{revision, student};
use registrar::testing::{Backend, Outcomes, TestApp, concurrently};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::cli::{registrar, stdout};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    every_write_path_chains_its_revision,
    concurrent_writers_of_many_students_and_one_hot_student_leave_every_chain_whole,
    the_history_page_says_whether_the_chain_holds,
);

/// Every chain of `app`'s database checked in-process; the breaks found.
pub async fn breaks(app: &TestApp) -> (Tally, Vec<Break>) {
    let mut found = Vec::new();
    let tally = verify(&app.db, Scope::All, None, |b| found.push(b))
        .await
        .expect("verify");
    (tally, found)
}

/// Each student's chain head is its newest revision's hash, and it has
/// one revision per version.
async fn heads_match(app: &TestApp) {
    for student in student::Entity::find().all(&app.db).await.unwrap() {
        let newest = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(student.id))
            .order_by_desc(revision::Column::Version)
            .one(&app.db)
            .await
            .unwrap()
            .expect("a revision");
        assert_eq!(newest.version, student.version, "student {}", student.id);
        assert_eq!(newest.hash, student.chain_head, "student {}", student.id);
        assert_eq!(newest.hash.len(), 64);
        let count = revision::Entity::find()
            .filter(revision::Column::StudentId.eq(student.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(count as i64, student.version, "student {}", student.id);
    }
}

async fn every_write_path_chains_its_revision(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    // The forms: create, update, delete, undelete, restore.
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    app.edit_student(
        &browser,
        id,
        &[("name", "Ada Lovelace"), ("reason", "Full name")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let confirm = browser.get(&format!("/students/{id}/delete")).await;
    let mut delete = confirm.form(&format!("/students/{id}/delete"));
    delete.set("reason", "Duplicate record");
    delete
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let gone = browser.get(&format!("/students/{id}")).await;
    gone.form(&format!("/students/{id}/undelete"))
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let history = browser.get(&format!("/students/{id}/history")).await;
    let restore = history
        .forms()
        .into_iter()
        .find(|f| f.action.ends_with("/restore") && f.value("revision") == Some("1"))
        .expect("a restore form of version 1");
    restore
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(crate::db_checks::student(&app.db, id).await.version, 5);

    // An import: one row updated, one created (the CLI runs the import job).
    let export = browser.get("/students.csv").await;
    let file =
        crate::roundtrip::every_gpa(&export.body, "1.11") + ",Newcomer,5 New St,2.50,,,,\r\n";
    let path = std::env::temp_dir().join(format!(
        "registrar-chain-{}-{}.csv",
        std::process::id(),
        app.address.port()
    ));
    std::fs::write(&path, file).unwrap();
    let imported = registrar(
        &app,
        &[
            "import",
            path.to_str().unwrap(),
            "--as",
            registrar::testing::REGISTRAR,
        ],
        "",
    );
    let _ = std::fs::remove_file(&path);
    assert!(imported.status.success(), "{imported:?}");
    assert_eq!(crate::db_checks::student(&app.db, id).await.version, 6);

    // Demo data: bulk inserts.
    let demo = registrar(&app, &["demo", "--students", "30", "--append"], "");
    assert!(demo.status.success(), "{demo:?}");

    heads_match(&app).await;
    let (tally, found) = breaks(&app).await;
    assert_eq!(found, []);
    assert_eq!((tally.students, tally.revisions), (32, 6 + 1 + 30));
    let verified = registrar(&app, &["audit", "verify"], "");
    assert!(verified.status.success(), "{verified:?}");
    assert_eq!(
        stdout(&verified),
        "every chain holds: 32 students, 37 revisions\n"
    );
}

const HOT_CLIENTS: usize = 6;
const SPREAD_CLIENTS: usize = 6;
const ROUNDS: usize = 8;
const STUDENTS: usize = 12;

async fn concurrent_writers_of_many_students_and_one_hot_student_leave_every_chain_whole(
    backend: Backend,
) {
    let app = Arc::new(spawn_app!(backend));
    let browser = app.signed_in_browser().await;
    let mut ids = Vec::new();
    for i in 0..STUDENTS {
        ids.push(
            app.create_student(&browser, &format!("Student {i}"), "1 Main St", "3")
                .await,
        );
    }
    let ids = Arc::new(ids);
    // An auditor verifying while the registrars write: each pass reads one
    // snapshot, so a save in the middle of it is never a break.
    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let auditor = tokio::spawn({
        let (app, writing) = (Arc::clone(&app), Arc::clone(&writing));
        async move {
            let mut passes = 0;
            while writing.load(std::sync::atomic::Ordering::SeqCst) || passes == 0 {
                let snapshot = registrar::db::begin_snapshot(&app.db).await.unwrap();
                let mut found = Vec::new();
                verify(&snapshot, Scope::All, None, |b| found.push(b))
                    .await
                    .unwrap();
                snapshot.commit().await.unwrap();
                assert_eq!(found, [], "pass {passes}");
                passes += 1;
            }
            passes
        }
    });
    let outcomes: Outcomes = concurrently(HOT_CLIENTS + SPREAD_CLIENTS, |client, start| {
        let app = Arc::clone(&app);
        let ids = Arc::clone(&ids);
        async move {
            let browser = app.signed_in_browser().await;
            start.wait().await;
            let mut outcomes = Outcomes::default();
            for round in 0..ROUNDS {
                // The hot clients all write the first student; the others
                // each their own students.
                let id = match client < HOT_CLIENTS {
                    true => ids[0],
                    false => ids[1 + (client * ROUNDS + round) % (STUDENTS - 1)],
                };
                let name = format!("client {client} round {round}");
                let page = app.edit_student(&browser, id, &[("name", &name)]).await;
                outcomes.record(page.status);
            }
            outcomes
        }
    })
    .await;
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    let passes = auditor.await.expect("the auditor's passes found no break");
    println!("{}: {passes} verify passes while writing", backend.name());
    let saved = outcomes.count(StatusCode::SEE_OTHER);
    assert_eq!(
        saved + outcomes.count(StatusCode::CONFLICT),
        outcomes.total(),
        "every save committed or was refused as stale"
    );
    heads_match(&app).await;
    let (tally, found) = breaks(&app).await;
    assert_eq!(found, []);
    assert_eq!(tally.revisions, STUDENTS as u64 + saved);
    let verified = registrar(&app, &["audit", "verify"], "");
    assert!(verified.status.success(), "{verified:?}");
}

async fn the_history_page_says_whether_the_chain_holds(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    for gpa in ["3.10", "3.20"] {
        app.edit_student(&browser, id, &[("gpa", gpa)])
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    let history = browser.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    assert_eq!(
        history.attr("[data-chain]", "data-chain").as_deref(),
        Some("holds")
    );
    assert!(
        history
            .text("[data-chain]")
            .unwrap()
            .contains("History intact")
    );

    app.db
        .execute_unprepared(&format!(
            "UPDATE revisions SET gpa_hundredths = 400 WHERE student_id = {id} AND version = 2"
        ))
        .await
        .unwrap();
    let history = browser.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    assert_eq!(
        history.attr("[data-chain]", "data-chain").as_deref(),
        Some("broken")
    );
    assert_eq!(
        history
            .attr("[data-chain]", "data-chain-version")
            .as_deref(),
        Some("2")
    );
    assert!(
        history
            .text("[data-chain]")
            .unwrap()
            .contains("History altered at version 2"),
        "{:?}",
        history.text("[data-chain]")
    );
}
