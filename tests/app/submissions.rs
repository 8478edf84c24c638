//! Submission ids (contract §10): a form sent twice is applied once, and
//! answers "saved" the second time too; the migration that adds them
//! upgrades a populated database.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::cluster::submission::{self, Submission};
use registrar::db::entities::revision::{self, Action};
use registrar::domain::Version;
use registrar::students::protocol::{self, Act, Command};
use registrar::testing::{AppOptions, Backend, Form, Page, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::proxy::{CommitTrap, Proxy};
use crate::resilience::server_address;
use crate::upgrades::{database_before, insert, old_account, old_student};
use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(
    an_edit_form_sent_twice_is_saved_once,
    a_create_form_sent_twice_creates_one_student,
    a_malformed_submission_id_is_refused_and_changes_nothing,
    the_submissions_migration_upgrades_a_populated_database,
);

async fn an_edit_form_sent_twice_is_saved_once(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let form = app.edit_form(&browser, id, &[("name", "Ada L")]).await;
    let id_sent = form
        .value("submission")
        .expect("a submission field")
        .to_owned();
    assert!(Submission::parse(Some(&id_sent)).is_ok());

    let first = form.submit(&browser).await;
    first.assert_redirect_to(&format!("/students/{id}"));
    // The same form again (a retry, a resubmit after "outcome unknown"):
    // its version is stale now, but the submission committed, so it is
    // answered as saved and nothing more is written.
    let again = form.submit(&browser).await;
    again.assert_redirect_to(&format!("/students/{id}"));

    // The same id with other values is another change: judged by its
    // version, stale.
    let mut changed = form.clone();
    changed.set("gpa", "1.5");
    changed
        .submit(&browser)
        .await
        .assert_status(StatusCode::CONFLICT);

    let student = db_checks::student(&app.db, id).await;
    assert_eq!(student.version, 2, "{}: applied once", backend.name());
    assert_eq!(db_checks::revisions(&app.db, id, Action::Updated).await, 1);
    let committed = submission::committed(
        &app.db,
        &Submission::parse(Some(&id_sent)).unwrap().unwrap(),
    )
    .await
    .expect("query")
    .expect("the submission is recorded with its revision");
    assert_eq!((committed.student_id, committed.version), (id, 2));

    // The committed id sent with another record's form (a client that
    // copies one id into every form it posts): a change of its own, saved
    // by the version rule, the id not recorded twice.
    let other = app.create_student(&browser, "Bob", "2 Elm St", "3").await;
    let mut borrowed = app.edit_form(&browser, other, &[("name", "Bob B")]).await;
    borrowed.set("submission", &id_sent);
    borrowed
        .submit(&browser)
        .await
        .assert_redirect_to(&format!("/students/{other}"));
    let bob = db_checks::student(&app.db, other).await;
    assert_eq!((bob.version, bob.name.as_str()), (2, "Bob B"));

    // A form opened afterwards has a fresh id, and a form without one (an
    // older client) is still saved by the version rule alone.
    let next = app
        .edit_form(&browser, id, &[("name", "Ada Lovelace")])
        .await;
    assert_ne!(next.value("submission"), Some(id_sent.as_str()));
    let mut bare = next.clone();
    bare.remove("submission");
    bare.submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);
    next.submit(&browser)
        .await
        .assert_status(StatusCode::CONFLICT);
}

async fn a_create_form_sent_twice_creates_one_student(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let new = browser.get("/students/new").await;
    let mut form = new.form("/students");
    form.set("name", "Grace")
        .set("address", "2 High St")
        .set("gpa", "3.9");
    assert!(form.value("submission").is_some_and(|s| !s.is_empty()));
    let first = form.submit(&browser).await;
    first.assert_status(StatusCode::SEE_OTHER);
    let again = form.submit(&browser).await;
    again.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(first.location(), again.location(), "{}", backend.name());
    assert_eq!(db_checks::student_count(&app.db).await, 1);
    // The same id with other values is another student.
    form.set("name", "Grace Hopper");
    form.submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(db_checks::student_count(&app.db).await, 2);
}

async fn a_malformed_submission_id_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    for bad in ["short", "not/a/token/at/all/really", &"x".repeat(65)] {
        let mut form = app.edit_form(&browser, id, &[("name", "Ada L")]).await;
        form.set("submission", bad);
        let answer = form.submit(&browser).await;
        answer.assert_status(StatusCode::BAD_REQUEST);
    }
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
}

async fn the_submissions_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261202_000005_submissions").await
    else {
        return;
    };
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
    old_account(&db, at, Some("registrar")).await;
    old_student(&db, "1 Main St", 300, 1, at).await;
    let id = db_checks::student_of_any(&db).await;
    insert(
        &db,
        "revisions",
        &[
            ("student_id", id.into()),
            ("version", 1i64.into()),
            ("action", "created".into()),
            ("name", "Grace".into()),
            ("address", "1 Main St".into()),
            ("gpa_hundredths", 300i16.into()),
            ("registrar", "ada".into()),
            ("at", at.into()),
            ("reason", "first".into()),
        ],
    )
    .await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let old = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .all(&db)
        .await
        .expect("revisions");
    assert_eq!(old.len(), 1, "{}", backend.name());
    assert_eq!(old[0].submission, None);
    assert_eq!(old[0].reason.as_deref(), Some("first"));

    // The new code on the upgraded rows: one submission, sent twice, is
    // applied once.
    let sent = Submission::new();
    let form = registrar::students::form::StudentForm {
        student_number: String::new(),
        confidential: String::new(),
        name: "Grace H".into(),
        address: "1 Main St".into(),
        gpa: "3.00".into(),
    };
    for _ in 0..2 {
        let command = Command {
            writer: "ada",
            act: Act::Edit {
                id,
                seen: Version::new(1),
                values: &form,
            },
            reason: None,
            submission: Some(&sent),
            receipt: None,
        };
        let outcome = protocol::run(&db, &command).await.expect("the edit");
        assert!(outcome.is_written(), "{outcome:?}");
    }
    assert_eq!(db_checks::student(&db, id).await.version, 2);
    assert_eq!(db_checks::all_revisions(&db, id).await, 2);
}

/// A save whose connection is cut while its `COMMIT` is on the way: the
/// server got the `COMMIT` (`forward`) or not, and the proxy refuses
/// connections for `refuse_for`. Returns the answer and the form sent.
async fn save_with_commit_cut(
    backend: Backend,
    forward: bool,
    refuse_for: Duration,
) -> Option<(TestApp, i64, Proxy, Form, Page)> {
    backend.server_url()?;
    let proxy = Proxy::start(server_address(backend)).await;
    let options = AppOptions {
        database_via: Some(proxy.address),
        ..AppOptions::default()
    };
    let app = TestApp::spawn_with(backend, options).await?;
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let form = app.edit_form(&browser, id, &[("name", "Ada L")]).await;
    // The feed's sequencer commits its stamp of the new student's
    // revision in the background: the next COMMIT must be the write's.
    app.feed_stamped().await;
    proxy.cut_at_next_commit(CommitTrap {
        forward,
        refuse_for,
    });
    let answer = form.submit(&browser).await;
    Some((app, id, proxy, form, answer))
}

async fn a_cut_commit_that_committed_is_answered_saved(backend: Backend) {
    let Some((app, id, _proxy, form, answer)) =
        save_with_commit_cut(backend, true, Duration::ZERO).await
    else {
        return;
    };
    answer.assert_redirect_to(&format!("/students/{id}"));
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
    // Sent again: still one save.
    let browser = app.signed_in_browser().await;
    let mut again = form.clone();
    again.set("csrf_token", &browser.csrf_token().await);
    again
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
    assert_eq!(db_checks::revisions(&app.db, id, Action::Updated).await, 1);
}

async fn a_cut_commit_that_did_not_commit_is_answered_not_saved(backend: Backend) {
    let Some((app, id, _proxy, form, answer)) =
        save_with_commit_cut(backend, false, Duration::ZERO).await
    else {
        return;
    };
    answer.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer.text("#notice-title").as_deref(),
        Some("Not saved yet")
    );
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    let browser = app.signed_in_browser().await;
    let mut again = form.clone();
    again.set("csrf_token", &browser.csrf_token().await);
    again
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
}

async fn a_cut_commit_nobody_can_check_says_so_and_a_resubmit_applies_once(backend: Backend) {
    let Some((app, id, _proxy, form, answer)) =
        save_with_commit_cut(backend, true, Duration::from_secs(5)).await
    else {
        return;
    };
    answer.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer.text("#notice-title").as_deref(),
        Some("Saved or not: unknown"),
        "{}",
        backend.name()
    );
    // The page keeps the submission id, so sending it again is safe.
    let resend = answer.form(&format!("/students/{id}"));
    assert_eq!(resend.value("submission"), form.value("submission"));
    // It had in fact committed; sending it again once the database is
    // back answers "saved" and writes nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let browser = app.signed_in_browser().await;
    let mut again = resend.clone();
    again.set("csrf_token", &browser.csrf_token().await);
    again
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
    assert_eq!(db_checks::revisions(&app.db, id, Action::Updated).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_postgres_commit_that_committed_is_answered_saved() {
    a_cut_commit_that_committed_is_answered_saved(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mysql_commit_that_committed_is_answered_saved() {
    a_cut_commit_that_committed_is_answered_saved(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_postgres_commit_that_did_not_commit_is_answered_not_saved() {
    a_cut_commit_that_did_not_commit_is_answered_not_saved(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mysql_commit_that_did_not_commit_is_answered_not_saved() {
    a_cut_commit_that_did_not_commit_is_answered_not_saved(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_postgres_commit_nobody_can_check_says_so() {
    a_cut_commit_nobody_can_check_says_so_and_a_resubmit_applies_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mysql_commit_nobody_can_check_says_so() {
    a_cut_commit_nobody_can_check_says_so_and_a_resubmit_applies_once(Backend::MySql).await;
}
