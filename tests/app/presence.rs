//! Seeing each other before the conflict (contract §8): who else has a
//! record's edit form open. Advice only: it never blocks, delays or refuses
//! anything.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::db::entities::presence as presence_row;
use registrar::presence::store::{self as presence, Marked};
use registrar::testing::{Backend, Browser, Page, TestApp};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(marking_a_form_open_never_waits_for_a_held_record);

/// While a long save holds the record (on SQLite: the database's write
/// lock), marking its form open takes no time: skipped on SQLite, written
/// elsewhere (the mark touches no row the save locks).
async fn marking_a_form_open_never_waits_for_a_held_record(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let holder = db_checks::hold_lock(&app.db, id).await;
    let started = Instant::now();
    let marked = presence::mark_open(
        &app.db,
        &registrar::presence::Pace::default(),
        1,
        id,
        registrar::db::now(),
    )
    .await;
    let took = started.elapsed();
    drop(holder);
    assert!(
        took < Duration::from_millis(500),
        "{}: marking took {took:?}",
        backend.name()
    );
    let expected = match backend {
        Backend::Sqlite => Marked::Skipped,
        _ => Marked::Recorded,
    };
    assert_eq!(marked, expected, "{}", backend.name());
    // Once the lock is gone, it is written (SQLite's pool busy timeout was
    // put back: a normal save still waits its turn instead of failing).
    assert_eq!(
        presence::mark_open(
            &app.db,
            &registrar::presence::Pace::default(),
            1,
            id,
            registrar::db::now()
        )
        .await,
        Marked::Recorded
    );
}

on_every_backend!(
    a_second_registrar_sees_who_has_the_form_open_until_they_save,
    a_mark_lasts_fifteen_minutes_and_is_swept_after,
    signing_out_or_deleting_clears_the_mark,
    the_edit_form_opens_at_once_while_a_long_save_holds_the_record,
);

const ALICE: &str = "alice";
const BOB: &str = "bob";
const PASSWORD: &str = "correct horse battery staple";

/// The "opened this record for editing" notices of a page.
fn notices(page: &Page) -> Vec<String> {
    page.texts(".presence li")
}

async fn two_registrars(app: &TestApp) -> (Browser, Browser, i64) {
    app.create_registrar(ALICE, PASSWORD).await;
    app.create_registrar(BOB, PASSWORD).await;
    let alice = app.signed_in_as(ALICE, PASSWORD).await;
    let bob = app.signed_in_as(BOB, PASSWORD).await;
    let id = app.create_student(&alice, "Ada", "1 Main St", "3").await;
    (alice, bob, id)
}

async fn a_second_registrar_sees_who_has_the_form_open_until_they_save(backend: Backend) {
    let app = spawn_app!(backend);
    // Bob is served by another instance on the same database.
    let other = app.another_instance().await;
    let (alice, _, id) = two_registrars(&app).await;
    let bob = other.signed_in_as(BOB, PASSWORD).await;
    let path = format!("/students/{id}");

    let alices_form = alice.get(&format!("{path}/edit")).await;
    assert!(notices(&alices_form).is_empty(), "never about oneself");
    let record = bob.get(&path).await;
    let seen = notices(&record);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains("alice opened this record for editing just now"),
        "{seen:?}"
    );
    // The record page offers no save, so its notice does not speak of one.
    assert!(!seen[0].contains("You can still save"), "{seen:?}");
    // The record page only reads: Bob looking at it marks nothing.
    assert!(notices(&alice.get(&path).await).is_empty());
    let bobs_form = bob.get(&format!("{path}/edit")).await;
    assert!(notices(&bobs_form)[0].contains("alice"));
    assert!(
        notices(&bobs_form)[0].contains("You can still save"),
        "the edit form says saving stays safe"
    );
    assert!(notices(&alice.get(&path).await)[0].contains("bob"));

    // A 422 or a 409 does not clear the mark: the form is still open.
    let mut invalid = bobs_form.form(&path);
    invalid.set("gpa", "9");
    invalid
        .submit(&bob)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(notices(&alice.get(&path).await)[0].contains("bob"));

    // Alice saves: gone for Bob; Bob's stale save is a 409 and his mark stays.
    let mut save = alices_form.form(&path);
    save.set("address", "2 High St");
    save.submit(&alice)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(notices(&bob.get(&path).await).is_empty());
    assert!(notices(&bob.get(&format!("{path}/edit")).await).is_empty());
    let mut stale = bobs_form.form(&path);
    stale.set("gpa", "3.9");
    stale.submit(&bob).await.assert_status(StatusCode::CONFLICT);
    assert!(notices(&alice.get(&path).await)[0].contains("bob"));
}

async fn a_mark_lasts_fifteen_minutes_and_is_swept_after(backend: Backend) {
    let app = spawn_app!(backend);
    let (alice, bob, id) = two_registrars(&app).await;
    let path = format!("/students/{id}");
    alice
        .get(&format!("{path}/edit"))
        .await
        .assert_status(StatusCode::OK);
    // The clock moves on: the mark is made older behind the app's back.
    let opened_ago = |minutes: i64| {
        let at = registrar::db::now() - chrono::Duration::minutes(minutes);
        presence_row::Entity::update_many()
            .col_expr(presence_row::Column::OpenedAt, Expr::value(at))
            .exec(&app.db)
    };
    opened_ago(14).await.expect("update");
    let seen = notices(&bob.get(&path).await);
    assert!(seen[0].contains("14 minutes ago"), "{seen:?}");
    opened_ago(16).await.expect("update");
    assert!(notices(&bob.get(&path).await).is_empty());
    assert!(notices(&bob.get(&format!("{path}/edit")).await).is_empty());
    // Bob's own mark is fresh; the sweep removes only Alice's.
    let swept = presence::sweep(&app.db, registrar::db::now())
        .await
        .expect("sweep");
    assert_eq!(swept, 1);
    let left = presence_row::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(left.len(), 1);
}

async fn signing_out_or_deleting_clears_the_mark(backend: Backend) {
    let app = spawn_app!(backend);
    let (alice, bob, id) = two_registrars(&app).await;
    let path = format!("/students/{id}");
    alice.get(&format!("{path}/edit")).await;
    assert!(notices(&bob.get(&path).await)[0].contains("alice"));
    let home = alice.get("/students").await;
    home.form("/logout")
        .submit(&alice)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(notices(&bob.get(&path).await).is_empty());

    let alice = app.signed_in_as(ALICE, PASSWORD).await;
    alice.get(&format!("{path}/edit")).await;
    assert!(notices(&bob.get(&path).await)[0].contains("alice"));
    let confirm = alice.get(&format!("{path}/delete")).await;
    confirm
        .form(&format!("{path}/delete"))
        .submit(&alice)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let rows = presence_row::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert!(rows.is_empty(), "{rows:?}");
}

/// On SQLite a long save holds the database's write lock: the mark is
/// skipped, the form still opens at once (never a 503). Elsewhere the
/// record's row lock does not touch the presence table at all.
async fn the_edit_form_opens_at_once_while_a_long_save_holds_the_record(backend: Backend) {
    let app = spawn_app!(backend);
    let (alice, _, id) = two_registrars(&app).await;
    let holder = db_checks::hold_lock(&app.db, id).await;
    let started = Instant::now();
    let form = alice.get(&format!("/students/{id}/edit")).await;
    let took = started.elapsed();
    drop(holder);
    form.assert_status(StatusCode::OK);
    assert!(
        took < Duration::from_secs(1),
        "{}: {took:?}",
        backend.name()
    );
}
