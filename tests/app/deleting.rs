//! Delete is a step of its own (issue 26, point 8): the record page links
//! to `GET /students/{id}/delete`, which shows what will be deleted and
//! posts the version it shows to `POST /students/{id}/delete`; that post
//! works as ever without the step. Real HTTP, on every backend.

use axum::http::StatusCode;
use registrar::db::entities::revision::{self, Action};
use registrar::domain::Role;
use registrar::testing::{Backend, Page};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::roles::{OTHER_PASSWORD, VIEWER, create_account};
use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(
    the_record_page_leads_to_a_confirmation_that_deletes_only_when_sent,
    the_confirmation_answers_like_the_record_and_only_to_writers,
    a_confirmation_is_refused_when_stale_or_when_its_reason_is,
);

/// The confirmation page's delete form.
fn delete_form(page: &Page, id: i64) -> registrar::testing::Form {
    page.form(&format!("/students/{id}/delete"))
}

async fn the_record_page_leads_to_a_confirmation_that_deletes_only_when_sent(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada Lovelace", "12 St James's Square", "3.6")
        .await;
    let record = format!("/students/{id}");
    let confirm = format!("{record}/delete");

    // The record page deletes nothing itself: it links to the step.
    let show = browser.get(&record).await;
    show.assert_status(StatusCode::OK);
    assert_eq!(
        show.href(&format!(".actions a[href=\"{confirm}\"]")),
        Some(confirm.clone())
    );
    assert!(show.forms().iter().all(|f| f.action != confirm));

    // The step shows what would be deleted, and changes nothing.
    let page = browser.get(&confirm).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.text("h1").as_deref(), Some("Delete Ada Lovelace?"));
    assert!(page.title().contains("Delete"), "{}", page.title());
    let shown = page.text("dl.record").unwrap_or_default();
    for value in ["Ada Lovelace", "12 St James's Square", "3.60"] {
        assert!(shown.contains(value), "{value} in {shown}");
    }
    assert_eq!(page.text("[data-version]").as_deref(), Some("1"));
    let form = delete_form(&page, id);
    assert_eq!(form.method.to_ascii_lowercase(), "post");
    assert_eq!(form.value("version"), Some("1"));
    assert!(form.value("csrf_token").is_some_and(|t| !t.is_empty()));
    assert_eq!(form.value("reason"), Some(""));
    assert_eq!(
        page.href(&format!("form.delete a[href=\"{record}\"]")),
        Some(record.clone()),
        "Cancel goes back to the record"
    );
    let stored = db_checks::student(&app.db, id).await;
    assert!(stored.deleted_at.is_none());
    assert_eq!(stored.version, 1);

    // Sent, it deletes, with the reason given.
    let mut form = form;
    form.set("reason", "Entered twice");
    let deleted = form.submit(&browser).await;
    deleted.assert_redirect_to("/students");
    browser
        .follow(&deleted)
        .await
        .assert_flash("Ada Lovelace deleted. Undo");
    let stored = db_checks::student(&app.db, id).await;
    assert!(stored.deleted_at.is_some());
    assert_eq!(stored.version, 2);
    let revision = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Action.eq(Action::Deleted))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the delete's revision");
    assert_eq!(revision.reason.as_deref(), Some("Entered twice"));

    // Posting without the step works as it always has.
    let other = app.create_student(&browser, "Grace", "9 Elm St", "3").await;
    browser
        .post_with_token(&format!("/students/{other}/delete"), &[("version", "1")])
        .await
        .assert_redirect_to("/students");
    assert!(
        db_checks::student(&app.db, other)
            .await
            .deleted_at
            .is_some()
    );
}

async fn the_confirmation_answers_like_the_record_and_only_to_writers(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let confirm = format!("/students/{id}/delete");

    // A viewer gets the 403 page, as for every form that writes.
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let viewer = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;
    let refused = viewer.get(&confirm).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert!(refused.forms().iter().all(|f| f.action != confirm));
    let record = viewer.get(&format!("/students/{id}")).await;
    assert!(record.href(&format!("a[href=\"{confirm}\"]")).is_none());
    // Nobody signed in is sent to sign in, and back here after.
    let anonymous = app.browser().get(&confirm).await;
    anonymous.assert_status(StatusCode::SEE_OTHER);
    assert!(
        anonymous
            .location()
            .is_some_and(|l| l.starts_with("/login?next=")),
        "{:?}",
        anonymous.location()
    );

    // Unknown ids are 404, like the record's page.
    for path in [
        "/students/999999/delete",
        "/students/abc/delete",
        "/students/0/delete",
    ] {
        browser.get(path).await.assert_status(StatusCode::NOT_FOUND);
    }

    // Deleted, it answers as the record does: 410, offering the undelete.
    browser
        .post_with_token(&confirm, &[("version", "1")])
        .await
        .assert_redirect_to("/students");
    let gone = browser.get(&confirm).await;
    gone.assert_status(StatusCode::GONE);
    assert!(gone.forms().iter().all(|f| f.action != confirm));
    let undelete = gone.form(&format!("/students/{id}/undelete"));
    assert_eq!(undelete.value("version"), Some("2"));
}

async fn a_confirmation_is_refused_when_stale_or_when_its_reason_is(backend: Backend) {
    let app = spawn_app!(backend);
    let alice = app.signed_in_browser().await;
    let bob = app.signed_in_browser().await;
    let id = app.create_student(&alice, "Ada", "1 Main St", "3").await;
    let confirm = format!("/students/{id}/delete");

    // A reason too long: the same step again, as typed, nothing deleted.
    let mut form = delete_form(&alice.get(&confirm).await, id);
    let long = "y".repeat(201);
    form.set("reason", &long);
    let refused = form.submit(&alice).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("delete-reason").is_some());
    assert!(
        refused.title().starts_with("Error: "),
        "{}",
        refused.title()
    );
    let again = delete_form(&refused, id);
    assert_eq!(again.value("reason"), Some(long.as_str()));
    assert_eq!(again.value("version"), Some("1"));
    assert!(db_checks::student(&app.db, id).await.deleted_at.is_none());

    // Opened at version 1, sent after Bob's edit: the stale delete page,
    // nothing deleted.
    let stale = delete_form(&alice.get(&confirm).await, id);
    app.edit_student(&bob, id, &[("gpa", "3.5")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let refused = stale.submit(&alice).await;
    refused.assert_status(StatusCode::CONFLICT);
    let refused = refused.stale_delete();
    assert_eq!((refused.seen_version, refused.current_version), (1, 2));
    let stored = db_checks::student(&app.db, id).await;
    assert!(stored.deleted_at.is_none());
    assert_eq!(stored.version, 2);
    // A step opened now shows version 2 and deletes it.
    let fresh = alice.get(&confirm).await;
    assert_eq!(fresh.text("[data-version]").as_deref(), Some("2"));
    delete_form(&fresh, id)
        .submit(&alice)
        .await
        .assert_redirect_to("/students");
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);
}
