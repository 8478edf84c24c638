//! History you can act on, in a real browser (headless Chromium): a
//! restore from the history page, the notice that someone else has the
//! form open, and axe-core on every page this feature adds.

use fantoccini::Client;
use registrar::testing::{Backend, PASSWORD, REGISTRAR, TestApp};

use crate::chrome::{self, Chrome, click, click_and_wait, fill, path, screenshot, text_of};
use crate::db_checks;

const GRACE: &str = "grace";
const GRACE_PASSWORD: &str = "grace's long password";

async fn open(client: &Client, app: &TestApp, page: &str) {
    client
        .goto(&format!("{}{page}", app.base_url))
        .await
        .expect("goto");
}

async fn signed_in(chrome: &mut Chrome, app: &TestApp) -> Client {
    let client = chrome.session(1280, 1100).await;
    open(&client, app, "/login").await;
    fill(&client, "#username", REGISTRAR).await;
    fill(&client, "#password", PASSWORD).await;
    click_and_wait(&client, "form[action='/login'] button[type=submit]").await;
    assert_eq!(path(&client).await, "/students");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_restores_a_version_from_the_history_page_and_sees_who_else_edits() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.create_registrar(GRACE, GRACE_PASSWORD).await;
    let Some(mut chrome) = Chrome::start().await else {
        return;
    };
    let axe = chrome::axe_source();
    if axe.is_none() {
        chrome::unavailable(
            "axe-core",
            "not installed (npm install --prefix target/browser-deps axe-core)",
        );
    }
    let kit = app.signed_in_browser().await;
    let id = app
        .create_student(&kit, "Ada Lovelace", "12 St James's Square", "3.60")
        .await;
    app.edit_student(
        &kit,
        id,
        &[
            ("gpa", "3.10"),
            ("reason", "Typed from the wrong transcript"),
        ],
    )
    .await;
    let client = signed_in(&mut chrome, &app).await;

    let mut report = Vec::new();
    let mut violations = Vec::new();
    let mut check = async |client: &Client, label: &str| {
        let Some(axe) = &axe else { return };
        let found = chrome::axe(client, axe).await;
        report.push(format!("{label}: {} violations", found.len()));
        violations.extend(
            found
                .into_iter()
                .map(|v| format!("{label}: {} ({}) — {}", v.id, v.impact, v.help)),
        );
    };

    // Grace has the edit form open: the record page and the edit form say so.
    let grace = app.signed_in_as(GRACE, GRACE_PASSWORD).await;
    grace.get(&format!("/students/{id}/edit")).await;
    open(&client, &app, &format!("/students/{id}")).await;
    let notice = text_of(&client, ".presence li").await;
    assert!(
        notice.contains("grace opened this record for editing just now"),
        "{notice}"
    );
    screenshot(&client, "record-with-presence").await;
    check(&client, "record with a presence notice").await;
    open(&client, &app, &format!("/students/{id}/edit")).await;
    assert!(text_of(&client, ".presence li").await.contains("grace"));
    check(&client, "edit form with a presence notice").await;

    // The history: reasons, compare, and a restore with its own reason.
    open(&client, &app, &format!("/students/{id}/history")).await;
    assert!(
        text_of(&client, ".timeline .entry .reason")
            .await
            .contains("Typed from the wrong transcript")
    );
    screenshot(&client, "history").await;
    check(&client, "history").await;
    click(&client, "form.restore details summary").await;
    fill(&client, "#reason-1", "The first transcript was right").await;
    screenshot(&client, "history-restore").await;
    check(&client, "history with a restore open").await;
    click_and_wait(&client, "form.restore button[type=submit]").await;
    assert_eq!(path(&client).await, format!("/students/{id}"));
    assert_eq!(
        text_of(&client, "[role=status]").await,
        "Restored version 1"
    );
    assert!(
        text_of(&client, ".record")
            .await
            .contains("The first transcript was right")
    );
    let student = db_checks::student(&app.db, id).await;
    assert_eq!((student.version, student.gpa_hundredths), (3, 360));

    open(
        &client,
        &app,
        &format!("/students/{id}/history?from=1&to=2"),
    )
    .await;
    screenshot(&client, "compare").await;
    check(&client, "compare").await;

    // A stale restore's conflict page.
    open(&client, &app, &format!("/students/{id}/history")).await;
    app.edit_student(&kit, id, &[("address", "Ockham Park")])
        .await;
    click(&client, "form.restore details summary").await;
    click_and_wait(&client, "form.restore button[type=submit]").await;
    assert!(
        text_of(&client, "h1")
            .await
            .contains("changed before your restore")
    );
    check(&client, "stale restore").await;

    // Delete is a step of its own: the record links to a confirmation
    // page, whose Cancel goes back and whose Delete deletes.
    let record = format!("/students/{id}");
    let confirm = format!("{record}/delete");
    open(&client, &app, &record).await;
    click_and_wait(&client, &format!(".actions a[href='{confirm}']")).await;
    assert_eq!(path(&client).await, confirm);
    assert!(text_of(&client, "h1").await.starts_with("Delete"));
    screenshot(&client, "delete-confirm").await;
    check(&client, "delete confirmation").await;
    click_and_wait(&client, &format!("form.delete a[href='{record}']")).await;
    assert_eq!(path(&client).await, record);
    assert!(db_checks::student(&app.db, id).await.deleted_at.is_none());
    open(&client, &app, &confirm).await;
    fill(&client, "#delete-reason", "Entered twice").await;
    click_and_wait(&client, "form.delete button[type=submit]").await;
    assert_eq!(path(&client).await, "/students");
    assert!(
        text_of(&client, "[role=status]")
            .await
            .contains("Ada Lovelace deleted")
    );
    assert!(db_checks::student(&app.db, id).await.deleted_at.is_some());

    // Deleted: the 410 page offers the undelete; a stale one is refused.
    open(&client, &app, &record).await;
    screenshot(&client, "gone").await;
    check(&client, "deleted record").await;
    let undelete = kit
        .get(&format!("/students/{id}"))
        .await
        .form(&format!("/students/{id}/undelete"));
    undelete.submit(&kit).await;
    click_and_wait(&client, "form.undelete button[type=submit]").await;
    assert!(
        text_of(&client, "h1")
            .await
            .contains("changed before your undelete")
    );
    check(&client, "stale undelete").await;
    client.close().await.ok();

    for line in &report {
        println!("axe-core {line}");
    }
    assert!(
        violations.is_empty(),
        "axe-core violations: {violations:#?}"
    );
}
