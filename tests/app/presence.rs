//! Seeing each other before the conflict (SPEC §8): who else has a
//! record's edit form open. Advice only: it never blocks, delays or refuses
//! anything.

use std::time::{Duration, Instant};

use registrar::presence::store::{self as presence, Marked};
use registrar::testing::Backend;

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
    let marked = presence::mark_open(&app.db, 1, id, registrar::db::now()).await;
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
        presence::mark_open(&app.db, 1, id, registrar::db::now()).await,
        Marked::Recorded
    );
}
