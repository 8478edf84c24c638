//! Two registrars on one record: stale forms are refused with a page that
//! loses nothing, explains what changed, and saves the merge in one submit.

use axum::http::StatusCode;
use registrar::db::entities::revision::Action;
use registrar::testing::{Backend, Browser, FieldStatus, Form, HistoryAction, TestApp};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_stale_save_on_other_fields_merges_both_changes,
    a_same_field_conflict_lets_the_registrar_choose,
    the_merged_form_can_itself_go_stale,
    an_edit_of_a_record_deleted_meanwhile_offers_to_recreate_it,
    a_stale_delete_is_refused_and_can_be_confirmed,
);

/// Two browsers with the edit form of the same student open.
async fn two_open_forms(app: &TestApp) -> (i64, Browser, Form, Browser, Form) {
    let [alice, bob] = <[Browser; 2]>::try_from(app.signed_in_browsers(2).await)
        .unwrap_or_else(|_| unreachable!());
    let id = app.create_student(&alice, "Ada", "1 Main St", "3.00").await;
    let path = format!("/students/{id}");
    let alice_form = alice.get(&format!("{path}/edit")).await.form(&path);
    let bob_form = bob.get(&format!("{path}/edit")).await.form(&path);
    (id, alice, alice_form, bob, bob_form)
}

async fn a_stale_save_on_other_fields_merges_both_changes(backend: Backend) {
    let app = spawn_app!(backend);
    let (id, alice, mut alice_form, bob, mut bob_form) = two_open_forms(&app).await;
    alice_form.set("address", "2 High St");
    alice_form
        .submit(&alice)
        .await
        .assert_redirect_to(&format!("/students/{id}"));

    bob_form.set("gpa", "3.9");
    let answer = bob_form.submit(&bob).await;
    answer.assert_status(StatusCode::CONFLICT);
    let conflict = answer.conflict();
    assert_eq!((conflict.seen_version, conflict.current_version), (1, 2));
    // Who changed it and when.
    assert_eq!(conflict.changes.len(), 1, "{:?}", conflict.changes);
    let change = &conflict.changes[0];
    assert_eq!(
        (change.version, change.action, change.registrar.as_str()),
        (2, HistoryAction::Updated, "registrar")
    );
    assert!(!change.at.is_empty());
    assert_eq!(change.fields, ["Address"]);
    // The three-way comparison: when opened, yours, now.
    let address = conflict.field("address");
    assert_eq!(address.when_opened.as_deref(), Some("1 Main St"));
    assert_eq!(address.now, "2 High St");
    assert_eq!(address.status, FieldStatus::ChangedByThem);
    let gpa = conflict.field("gpa");
    assert_eq!(
        (gpa.status, gpa.yours.as_str()),
        (FieldStatus::ChangedByYou, "3.9")
    );
    assert!(conflict.conflicting().is_empty());

    // Nothing was written; the attempt is kept in the history.
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
    let kept = db_checks::conflicts(&app.db, id).await;
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].submitted_version, kept[0].current_version), (1, 2));
    assert_eq!(kept[0].gpa.as_deref(), Some("3.9"));
    let history = bob.get(&format!("/students/{id}/history")).await.history();
    let kept = history.of(HistoryAction::Conflict);
    assert_eq!(kept[0].changed("GPA"), Some((None, "3.9")));

    // The merged form: at version 2, with both changes.
    let merged = conflict.merge;
    assert_eq!(merged.action, format!("/students/{id}"));
    assert_eq!(merged.value("version"), Some("2"));
    assert_eq!(merged.value("address"), Some("2 High St"));
    assert_eq!(merged.value("gpa"), Some("3.9"));
    merged
        .submit(&bob)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (
            stored.address.as_str(),
            stored.gpa_hundredths,
            stored.version
        ),
        ("2 High St", 390, 3)
    );
    assert_eq!(db_checks::revisions(&app.db, id, Action::Updated).await, 2);
}

async fn a_same_field_conflict_lets_the_registrar_choose(backend: Backend) {
    let app = spawn_app!(backend);
    let (id, alice, mut alice_form, bob, mut bob_form) = two_open_forms(&app).await;
    alice_form.set("name", "Ada Lovelace").set("gpa", "3.10");
    alice_form
        .submit(&alice)
        .await
        .assert_redirect_to(&format!("/students/{id}"));

    bob_form.set("name", "Ada King").set("address", "5 Low Rd");
    let answer = bob_form.submit(&bob).await;
    answer.assert_status(StatusCode::CONFLICT);
    let conflict = answer.conflict();
    assert_eq!(conflict.conflicting(), ["name"]);
    let name = conflict.field("name");
    assert_eq!(
        (
            name.when_opened.as_deref(),
            name.yours.as_str(),
            name.now.as_str()
        ),
        (Some("Ada"), "Ada King", "Ada Lovelace")
    );

    let mut merged = conflict.merge;
    assert_eq!(merged.action, format!("/students/{id}"));
    assert_eq!(
        merged.options("name").map(<[String]>::to_vec),
        Some(vec!["Ada King".to_owned(), "Ada Lovelace".to_owned()])
    );
    assert_eq!(
        merged.value("name"),
        Some("Ada King"),
        "the registrar's own value is preselected"
    );
    assert_eq!(merged.value("address"), Some("5 Low Rd"));
    assert_eq!(
        merged.value("gpa"),
        Some("3.10"),
        "the other registrar's change is kept"
    );

    merged.choose("name", "Ada Lovelace");
    merged
        .submit(&bob)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(stored.name, "Ada Lovelace");
    assert_eq!(stored.address, "5 Low Rd");
    assert_eq!(stored.gpa_hundredths, 310);
    assert_eq!(stored.version, 3);
}

async fn the_merged_form_can_itself_go_stale(backend: Backend) {
    let app = spawn_app!(backend);
    let (id, alice, mut alice_form, bob, mut bob_form) = two_open_forms(&app).await;
    alice_form.set("name", "Ada A");
    alice_form
        .submit(&alice)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    bob_form.set("name", "Ada B");
    let merged = bob_form.submit(&bob).await.conflict().merge;

    // Alice saves again before Bob submits the merge.
    let mut again = alice
        .get(&format!("/students/{id}/edit"))
        .await
        .form(&format!("/students/{id}"));
    again.set("gpa", "2.00");
    again
        .submit(&alice)
        .await
        .assert_redirect_to(&format!("/students/{id}"));

    let second = merged.submit(&bob).await;
    second.assert_status(StatusCode::CONFLICT);
    let second = second.conflict();
    assert_eq!((second.seen_version, second.current_version), (2, 3));
    assert_eq!(second.merge.value("version"), Some("3"));
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (stored.name.as_str(), stored.gpa_hundredths, stored.version),
        ("Ada A", 200, 3)
    );
    assert_eq!(db_checks::conflicts(&app.db, id).await.len(), 2);
}

async fn an_edit_of_a_record_deleted_meanwhile_offers_to_recreate_it(backend: Backend) {
    let app = spawn_app!(backend);
    let (id, alice, _, bob, mut bob_form) = two_open_forms(&app).await;
    let confirm = alice.get(&format!("/students/{id}/delete")).await;
    confirm
        .form(&format!("/students/{id}/delete"))
        .submit(&alice)
        .await
        .assert_redirect_to("/students");

    bob_form.set("name", "Ada Byron").set("gpa", "3.33");
    let page = bob_form.submit(&bob).await;
    page.assert_status(StatusCode::CONFLICT);
    let gone = page.deleted_meanwhile();
    assert_eq!(gone.deleted_by, "registrar");
    assert!(!gone.deleted_at.is_empty());
    let recreate = gone.recreate;
    assert_eq!(recreate.value("name"), Some("Ada Byron"));
    assert_eq!(recreate.value("gpa"), Some("3.33"));
    assert_eq!(db_checks::conflicts(&app.db, id).await.len(), 1);

    let created = recreate.submit(&bob).await;
    created.assert_status(StatusCode::SEE_OTHER);
    let new_id: i64 = created
        .location()
        .unwrap()
        .trim_start_matches("/students/")
        .parse()
        .unwrap();
    assert_ne!(new_id, id, "ids are never reused");
    let stored = db_checks::student(&app.db, new_id).await;
    assert_eq!(
        (stored.name.as_str(), stored.gpa_hundredths),
        ("Ada Byron", 333)
    );
}

async fn a_stale_delete_is_refused_and_can_be_confirmed(backend: Backend) {
    let app = spawn_app!(backend);
    let (id, alice, mut alice_form, bob, _) = two_open_forms(&app).await;
    let stale_delete = bob
        .get(&format!("/students/{id}/delete"))
        .await
        .form(&format!("/students/{id}/delete"));
    alice_form.set("gpa", "1.5");
    alice_form
        .submit(&alice)
        .await
        .assert_redirect_to(&format!("/students/{id}"));

    let refused = stale_delete.submit(&bob).await;
    refused.assert_status(StatusCode::CONFLICT);
    let refused = refused.stale_delete();
    assert_eq!((refused.seen_version, refused.current_version), (1, 2));
    assert_eq!(refused.changes[0].fields, ["GPA"]);
    let stored = db_checks::student(&app.db, id).await;
    assert!(stored.deleted_at.is_none());
    assert_eq!(stored.version, 2);
    assert_eq!(
        db_checks::conflicts(&app.db, id).await[0].attempted,
        registrar::db::entities::conflict::Attempt::Delete
    );

    let confirm = refused.confirm;
    assert_eq!(confirm.action, format!("/students/{id}/delete"));
    assert_eq!(confirm.value("version"), Some("2"));
    confirm.submit(&bob).await.assert_redirect_to("/students");
    // Deleting again from the same page is refused: it is already gone.
    confirm
        .submit(&bob)
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);
    assert_eq!(db_checks::revisions(&app.db, id, Action::Deleted).await, 1);
}

on_every_backend!(a_stale_form_keeps_only_the_values_the_rules_allow);

/// A stale edit or delete is kept as a conflict entry, but a value the
/// form's rules refuse is not stored (every role reads the history): the
/// entry keeps the rest and names what it refused.
async fn a_stale_form_keeps_only_the_values_the_rules_allow(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    app.edit_student(&browser, id, &[("address", "2 High St")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let path = format!("/students/{id}");
    let long_reason = format!("\u{202E}{}", "x".repeat(1_999));
    let marks = format!("Eve{}", "\u{301}".repeat(8));
    browser
        .post_with_token(
            &path,
            &[
                ("name", marks.as_str()),
                ("address", "line\nbreak"),
                ("gpa", "3.9"),
                ("reason", long_reason.as_str()),
                ("version", "1"),
            ],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    browser
        .post_with_token(
            &format!("{path}/delete"),
            &[("reason", "ok\0not ok"), ("version", "1")],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    browser
        .post_with_token(
            &path,
            &[
                ("name", "Ada"),
                ("address", "3 Low St"),
                ("gpa", "3.9"),
                ("reason", "typo"),
                ("version", "1"),
            ],
        )
        .await
        .assert_status(StatusCode::CONFLICT);

    let kept = db_checks::conflicts(&app.db, id).await;
    let seen: Vec<_> = kept
        .iter()
        .map(|c| {
            (
                c.name.as_deref(),
                c.address.as_deref(),
                c.gpa.as_deref(),
                c.reason.as_deref(),
                c.refused.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (None, None, Some("3.9"), None, Some("name address reason")),
            (None, None, None, None, Some("reason")),
            (
                Some("Ada"),
                Some("3 Low St"),
                Some("3.9"),
                Some("typo"),
                None
            ),
        ]
    );
    let history = browser.get(&format!("{path}/history")).await;
    history.assert_status(StatusCode::OK);
    assert!(
        history
            .body
            .contains("rules refuse what was sent: Name, Address, Reason. The values submitted:"),
        "{}",
        history.body
    );
    assert!(!history.body.contains('\u{202E}'));
}
