//! History you can act on (contract §7): restoring an earlier version and
//! undeleting, both through the edit protocol; reasons for changes;
//! comparing two versions. Real form posts, on every backend.

use axum::http::StatusCode;
use registrar::db::entities::conflict::Attempt;
use registrar::db::entities::revision::Action;
use registrar::testing::{Backend, Browser, Form, Page, TestApp};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    restoring_an_old_version_writes_its_values_as_a_new_version,
    a_stale_restore_shows_base_restored_and_current_values,
    a_restore_names_a_version_of_this_record_or_is_refused,
    a_deleted_record_is_undeleted_under_its_id_and_counted_again,
    a_stale_undelete_is_refused,
    the_compare_page_shows_exactly_the_fields_that_changed,
    reasons_are_kept_and_shown_beside_who_made_the_change,
);

/// A student at version 3: created (1 Main St, 3.00), its address
/// changed (version 2), then its GPA (version 3).
async fn three_versions(app: &TestApp, browser: &Browser) -> i64 {
    let id = app
        .create_student(browser, "Ada", "1 Main St", "3.00")
        .await;
    app.edit_student(browser, id, &[("address", "2 High St")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.edit_student(browser, id, &[("gpa", "3.9")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    id
}

/// The history page's restore form of version `revision`.
fn restore_form(history: &Page, revision: i64) -> Form {
    let revision = revision.to_string();
    history
        .forms()
        .into_iter()
        .find(|f| f.action.ends_with("/restore") && f.value("revision") == Some(&revision))
        .unwrap_or_else(|| panic!("no restore form for version {revision}"))
}

fn restore_forms(history: &Page) -> Vec<String> {
    history
        .forms()
        .into_iter()
        .filter(|f| f.action.ends_with("/restore"))
        .filter_map(|f| f.value("revision").map(str::to_owned))
        .collect()
}

async fn restoring_an_old_version_writes_its_values_as_a_new_version(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = three_versions(&app, &browser).await;
    let history = browser.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    // Offered on every revision but the newest.
    assert_eq!(restore_forms(&history), ["2", "1"]);

    let mut form = restore_form(&history, 1);
    assert_eq!(form.value("version"), Some("3"));
    form.set("reason", "Version 2 and 3 were entered on the wrong record");
    let restored = form.submit(&browser).await;
    restored.assert_redirect_to(&format!("/students/{id}"));
    let page = browser.follow(&restored).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.flash().as_deref(), Some("Restored version 1"));
    assert!(page.body.contains("1 Main St") && page.body.contains("3.00"));
    assert!(
        page.body
            .contains("Version 2 and 3 were entered on the wrong record"),
        "the record page shows the latest change's reason"
    );

    let student = db_checks::student(&app.db, id).await;
    assert_eq!(
        (
            student.version,
            student.address.as_str(),
            student.gpa_hundredths
        ),
        (4, "1 Main St", 300)
    );
    assert_eq!(db_checks::revisions(&app.db, id, Action::Restored).await, 1);
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 4);

    let history = browser.get(&format!("/students/{id}/history")).await;
    let newest = &history.texts(".entry")[0];
    assert!(newest.contains("Restored as version 4"), "{newest}");
    assert!(
        newest.contains("Version 2 and 3 were entered on the wrong record"),
        "{newest}"
    );
    assert_eq!(restore_forms(&history), ["3", "2", "1"]);

    // Restoring the values it already has changes nothing.
    let again = restore_form(&history, 1).submit(&browser).await;
    again.assert_redirect_to(&format!("/students/{id}"));
    assert_eq!(
        browser.follow(&again).await.flash().as_deref(),
        Some("No changes")
    );
    assert_eq!(db_checks::student(&app.db, id).await.version, 4);
}

async fn a_stale_restore_shows_base_restored_and_current_values(backend: Backend) {
    let app = spawn_app!(backend);
    let alice = app.signed_in_browser().await;
    let bob = app.signed_in_browser().await;
    let id = app.create_student(&alice, "Ada", "1 Main St", "3.00").await;
    app.edit_student(&alice, id, &[("address", "2 High St")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Alice opens the history at version 2; Bob changes the GPA meanwhile.
    let history = alice.get(&format!("/students/{id}/history")).await;
    app.edit_student(
        &bob,
        id,
        &[("gpa", "3.9"), ("reason", "Transcript corrected")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let conflict = restore_form(&history, 1).submit(&alice).await;
    conflict.assert_status(StatusCode::CONFLICT);
    let rows = conflict.texts("table.compare tbody tr");
    assert_eq!(rows.len(), 5, "{rows:?}");
    // Field, when the page was opened (version 2), yours (version 1), now.
    let cells = |row: usize| conflict.texts(&format!("table.compare tbody tr:nth-child({row}) td"));
    assert_eq!(cells(1), ["Ada", "Ada", "Ada"]);
    // No student number in any of the three.
    assert_eq!(cells(2), ["", "", ""]);
    assert_eq!(cells(3), ["2 High St", "1 Main St", "2 High St"]);
    assert_eq!(cells(4), ["3.00", "3.00", "3.90"]);
    // Not confidential in any of the three.
    assert_eq!(cells(5), ["false", "false", "false"]);
    assert!(rows[2].contains("Changed by you"), "{rows:?}");
    assert!(rows[3].contains("Changed by someone else"), "{rows:?}");
    let changes = conflict.texts(".changes li");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].contains("Transcript corrected"), "{changes:?}");

    // Nothing written; the refused restore is kept.
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);
    let kept = db_checks::conflicts(&app.db, id).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].attempted, Attempt::Restore);
    assert_eq!(kept[0].address.as_deref(), Some("1 Main St"));

    // The merge: the restored address on top of Bob's GPA, at version 3.
    let merged = conflict.form(&format!("/students/{id}"));
    assert_eq!(merged.value("version"), Some("3"));
    assert_eq!(merged.value("address"), Some("1 Main St"));
    assert_eq!(merged.value("gpa"), Some("3.90"));
    merged
        .submit(&alice)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    let student = db_checks::student(&app.db, id).await;
    assert_eq!(
        (student.version, student.address.as_str()),
        (4, "1 Main St")
    );
}

async fn a_restore_names_a_version_of_this_record_or_is_refused(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = three_versions(&app, &browser).await;
    let other = app
        .create_student(&browser, "Grace", "9 Elm St", "2.00")
        .await;
    let path = format!("/students/{other}/restore");
    // Version 3 is one of Ada's, not of Grace's (who has only version 1).
    for revision in ["3", "99", "0", "-1"] {
        let refused = browser
            .post_with_token(&path, &[("version", "1"), ("revision", revision)])
            .await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("no version"), "{revision}");
    }
    for fields in [
        vec![("version", "1")],
        vec![("version", "1"), ("revision", "")],
        vec![("version", "1"), ("revision", "abc")],
        vec![("version", "1"), ("revision", "1.5")],
        vec![("revision", "1")],
    ] {
        browser
            .post_with_token(&path, &fields)
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    browser
        .post_with_token(
            "/students/999999/restore",
            &[("version", "1"), ("revision", "1")],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // A reason over 200 characters.
    let long = "x".repeat(201);
    browser
        .post_with_token(
            &format!("/students/{id}/restore"),
            &[("version", "3"), ("revision", "1"), ("reason", &long)],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db_checks::student(&app.db, other).await.version, 1);
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);

    // A deleted record is gone: undelete it first.
    let confirm = browser.get(&format!("/students/{id}/delete")).await;
    confirm
        .form(&format!("/students/{id}/delete"))
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    browser
        .post_with_token(
            &format!("/students/{id}/restore"),
            &[("version", "4"), ("revision", "1")],
        )
        .await
        .assert_status(StatusCode::GONE);
    assert_eq!(db_checks::student(&app.db, id).await.version, 4);
}

async fn list_total(browser: &Browser) -> String {
    browser
        .get("/students")
        .await
        .text("[data-total]")
        .unwrap_or_default()
}

async fn a_deleted_record_is_undeleted_under_its_id_and_counted_again(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    app.create_student(&browser, "Grace", "9 Elm St", "2").await;
    assert_eq!(list_total(&browser).await, "2");
    let confirm = browser.get(&format!("/students/{id}/delete")).await;
    let mut delete = confirm.form(&format!("/students/{id}/delete"));
    delete.set("reason", "Duplicate record");
    delete
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(list_total(&browser).await, "1");

    let gone = browser.get(&format!("/students/{id}")).await;
    gone.assert_status(StatusCode::GONE);
    let mut undelete = gone.form(&format!("/students/{id}/undelete"));
    assert_eq!(undelete.value("version"), Some("2"));
    undelete.set("reason", "Not a duplicate after all");
    let back = undelete.submit(&browser).await;
    back.assert_redirect_to(&format!("/students/{id}"));
    let page = browser.follow(&back).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.flash().as_deref(), Some("Undeleted"));
    assert_eq!(page.text("[data-version]").as_deref(), Some("3"));
    assert_eq!(list_total(&browser).await, "2");
    assert!(
        browser
            .get("/students?q=ada")
            .await
            .body
            .contains("1 Main St")
    );

    let student = db_checks::student(&app.db, id).await;
    assert!(student.deleted_at.is_none() && student.deleted_by.is_none());
    assert_eq!(student.version, 3);
    assert_eq!(
        db_checks::revisions(&app.db, id, Action::Undeleted).await,
        1
    );
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 3);
    let history = browser.get(&format!("/students/{id}/history")).await;
    let entries = history.texts(".entry");
    assert!(entries[0].contains("Undeleted as version 3"), "{entries:?}");
    assert!(
        entries[0].contains("Not a duplicate after all"),
        "{entries:?}"
    );
    assert!(entries[1].contains("Duplicate record"), "{entries:?}");
    // The record works as ever: edited at version 3.
    app.edit_student(&browser, id, &[("gpa", "3.5")])
        .await
        .assert_redirect_to(&format!("/students/{id}"));
}

async fn a_stale_undelete_is_refused(backend: Backend) {
    let app = spawn_app!(backend);
    let alice = app.signed_in_browser().await;
    let bob = app.signed_in_browser().await;
    let id = app.create_student(&alice, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");
    alice
        .get(&format!("{path}/delete"))
        .await
        .form(&format!("{path}/delete"))
        .submit(&alice)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let alices = alice.get(&path).await.form(&format!("{path}/undelete"));
    let bobs = bob.get(&path).await.form(&format!("{path}/undelete"));
    bobs.submit(&bob).await.assert_status(StatusCode::SEE_OTHER);
    let refused = alices.submit(&alice).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(refused.body.contains("changed before your undelete"));
    assert!(refused.texts(".changes li")[0].contains("undeleted"));
    // Not deleted any more: an undelete at its current version is refused too.
    alice
        .post_with_token(&format!("{path}/undelete"), &[("version", "3")])
        .await
        .assert_status(StatusCode::CONFLICT);
    let student = db_checks::student(&app.db, id).await;
    assert_eq!(student.version, 3);
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 3);
    let kept = db_checks::conflicts(&app.db, id).await;
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|c| c.attempted == Attempt::Undelete));
    alice
        .post_with_token(&format!("{path}/undelete"), &[("version", "x")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

async fn the_compare_page_shows_exactly_the_fields_that_changed(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = three_versions(&app, &browser).await;
    let history = browser.get(&format!("/students/{id}/history")).await;
    // Reachable from the history: a link per older version, and a form.
    let link = history.href(".compare-link").expect("a compare link");
    assert_eq!(link, format!("/students/{id}/history?from=2&to=3"));
    let compared = browser.get(&link).await;
    compared.assert_status(StatusCode::OK);
    let rows = compared.texts("table.compare tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("GPA") && rows[0].contains("3.00") && rows[0].contains("3.90"));

    let mut form = history
        .forms()
        .into_iter()
        .find(|f| f.method == "get")
        .expect("the compare form");
    form.set("from", "1").set("to", "3");
    let compared = form.submit(&browser).await;
    compared.assert_status(StatusCode::OK);
    let rows = compared.texts("table.compare tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].starts_with("Address")
            && rows[0].contains("1 Main St")
            && rows[0].contains("2 High St")
    );
    assert!(rows[1].starts_with("GPA"));
    assert!(!compared.body.contains(">Name<"));
    // Backwards works too; the same version twice differs nowhere.
    let back = browser
        .get(&format!("/students/{id}/history?from=3&to=1"))
        .await;
    assert_eq!(back.texts("table.compare tbody tr").len(), 2);
    let same = browser
        .get(&format!("/students/{id}/history?from=2&to=2"))
        .await;
    same.assert_status(StatusCode::OK);
    assert!(same.texts("table.compare tbody tr").is_empty());

    for query in [
        "from=0&to=3",
        "from=1&to=4",
        "from=abc&to=3",
        "from=1",
        "to=2",
        "from=&to=",
        "from=1.5&to=2",
        "from=99999999999999999999&to=1",
    ] {
        let page = browser
            .get(&format!("/students/{id}/history?{query}"))
            .await;
        page.assert_status(StatusCode::BAD_REQUEST);
    }
}

async fn reasons_are_kept_and_shown_beside_who_made_the_change(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    // Too long, or not one line: 422 with the form as typed.
    for bad in ["x".repeat(201), "two\nlines".to_owned()] {
        let page = app
            .edit_student(&browser, id, &[("gpa", "3.5"), ("reason", &bad)])
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.field_error("reason").is_some());
        assert_eq!(
            page.form(&format!("/students/{id}")).value("gpa"),
            Some("3.5")
        );
    }
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    // 200 characters fit.
    let reason = "é".repeat(200);
    app.edit_student(&browser, id, &[("gpa", "3.5"), ("reason", &reason)])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let history = browser.get(&format!("/students/{id}/history")).await;
    assert!(history.texts(".entry")[0].contains(&reason));
    // A delete with a reason too long is refused and changes nothing.
    let confirm = browser.get(&format!("/students/{id}/delete")).await;
    let mut delete = confirm.form(&format!("/students/{id}/delete"));
    delete.set("reason", &"y".repeat(201));
    let refused = delete.submit(&browser).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("delete-reason").is_some());
    assert!(db_checks::student(&app.db, id).await.deleted_at.is_none());
    // No reason is fine, and stays empty.
    app.edit_student(&browser, id, &[("gpa", "3.6")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let history = browser.get(&format!("/students/{id}/history")).await;
    assert!(!history.texts(".entry")[0].contains("Reason"));
}
