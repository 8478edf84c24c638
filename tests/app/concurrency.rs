//! Many registrars saving one record at once: every save either commits
//! as the next version or is refused as stale; none is lost, none
//! duplicated, on every backend and across app instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use registrar::db::entities::revision::Action;
use registrar::testing::{Backend, Browser, Form, Outcomes, TestApp, concurrently};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

const CLIENTS: usize = 32;
const ROUNDS: usize = 20;

on_every_backend!(
    concurrent_edits_of_one_record_lose_no_update,
    edits_restores_deletes_and_undeletes_at_once_lose_nothing,
);

/// A save that was answered `303`: the version its form was opened at and
/// the name, unique to it, that it wrote.
pub struct Saved {
    seen_version: i64,
    name: String,
}

/// Each client, `ROUNDS` times: GET the edit form, change the name to a
/// value nobody else writes, POST it. Clients are spread over `apps`.
pub async fn hammer(apps: &[Arc<TestApp>], id: i64) -> (Outcomes, Vec<Saved>) {
    let saves = Arc::new(Mutex::new(Vec::new()));
    let outcomes = concurrently(CLIENTS, |client, start| {
        let app = Arc::clone(&apps[client % apps.len()]);
        let saves = Arc::clone(&saves);
        async move {
            let browser = app.signed_in_browser().await;
            // Every client is signed in before any submits.
            start.wait().await;
            let mut outcomes = Outcomes::default();
            for round in 0..ROUNDS {
                let name = format!("client {client} round {round}");
                let form = app.edit_form(&browser, id, &[("name", &name)]).await;
                let seen_version: i64 = form
                    .value("version")
                    .and_then(|v| v.parse().ok())
                    .expect("a version");
                let page = form.submit(&browser).await;
                outcomes.record(page.status);
                if page.status == StatusCode::SEE_OTHER {
                    saves
                        .lock()
                        .expect("not poisoned")
                        .push(Saved { seen_version, name });
                }
            }
            outcomes
        }
    })
    .await;
    let saves = std::mem::take(&mut *saves.lock().expect("not poisoned"));
    (outcomes, saves)
}

pub async fn check_nothing_lost(
    app: &TestApp,
    id: i64,
    (outcomes, saves): &(Outcomes, Vec<Saved>),
    label: &str,
) {
    let saved = outcomes.count(StatusCode::SEE_OTHER);
    let refused = outcomes.count(StatusCode::CONFLICT);
    let student = db_checks::student(&app.db, id).await;
    let update_revisions = db_checks::revisions(&app.db, id, Action::Updated).await;
    let conflicts = db_checks::conflicts(&app.db, id).await.len() as u64;
    println!(
        "{label}: {} submissions -> {saved} saved (303), {refused} stale (409); final version {}; {update_revisions} update revisions; {conflicts} conflict entries",
        outcomes.total(),
        student.version
    );
    assert_eq!(outcomes.total(), (CLIENTS * ROUNDS) as u64);
    assert!(
        outcomes
            .others(&[StatusCode::SEE_OTHER, StatusCode::CONFLICT])
            .is_empty(),
        "{label}: unexpected statuses {:?}",
        outcomes.others(&[StatusCode::SEE_OTHER, StatusCode::CONFLICT])
    );
    assert!(saved > 0, "{label}: nothing was saved");
    assert_eq!(
        student.version - 1,
        saved as i64,
        "{label}: version - 1 != saves"
    );
    assert_eq!(
        update_revisions, saved,
        "{label}: update revisions != saves"
    );
    assert_eq!(conflicts, refused, "{label}: conflict entries != refusals");

    // No save wrote over a version it had not seen: the save of a form
    // opened at version v is exactly the revision v + 1.
    let written: HashMap<i64, String> = db_checks::update_revisions(&app.db, id)
        .await
        .into_iter()
        .map(|r| (r.version, r.name))
        .collect();
    for save in saves {
        assert_eq!(
            written.get(&(save.seen_version + 1)),
            Some(&save.name),
            "{label}: the save of {:?}, opened at version {}, is not version {}",
            save.name,
            save.seen_version,
            save.seen_version + 1
        );
    }
}

async fn concurrent_edits_of_one_record_lose_no_update(backend: Backend) {
    let app = Arc::new(spawn_app!(backend));
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let outcomes = hammer(&[Arc::clone(&app)], id).await;
    check_nothing_lost(&app, id, &outcomes, backend.name()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_lose_no_update() {
    let first = Arc::new(spawn_app!(Backend::Postgres));
    let second = Arc::new(first.another_instance().await);
    let id = first
        .create_student(&first.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let outcomes = hammer(&[Arc::clone(&first), Arc::clone(&second)], id).await;
    check_nothing_lost(&first, id, &outcomes, "two instances on PostgreSQL").await;
}

/// What one submission of the mixed test was, and whether it committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Edit,
    Restore,
    Delete,
    Undelete,
}

const MIXED_CLIENTS: usize = 16;
const MIXED_ROUNDS: usize = 12;

/// The form, submitted; `Some(kind)` in the list when it committed a
/// change (a `303` that is not "No changes").
async fn submit(
    browser: &Browser,
    form: &Form,
    kind: Kind,
    outcomes: &mut Outcomes,
    committed: &mut Vec<Kind>,
) {
    let page = form.submit(browser).await;
    outcomes.record(page.status);
    let flash = page.cookie("registrar_flash");
    if page.status == StatusCode::SEE_OTHER && flash.as_deref() != Some("no-changes") {
        committed.push(kind);
    }
}

/// Each client, every round, looks at the record and acts on what it sees:
/// undeletes it if deleted, else edits it, restores one of its versions or
/// (more rarely) deletes it, from forms that may have gone stale.
async fn edits_restores_deletes_and_undeletes_at_once_lose_nothing(backend: Backend) {
    let app = Arc::new(spawn_app!(backend));
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let committed = Arc::new(Mutex::new(Vec::new()));
    let outcomes = concurrently(MIXED_CLIENTS, |client, start| {
        let app = Arc::clone(&app);
        let all_committed = Arc::clone(&committed);
        async move {
            let browser = app.signed_in_browser().await;
            start.wait().await;
            let path = format!("/students/{id}");
            let mut outcomes = Outcomes::default();
            let mut committed = Vec::new();
            for round in 0..MIXED_ROUNDS {
                let show = browser.get(&path).await;
                if show.status == StatusCode::GONE {
                    let form = show.form(&format!("{path}/undelete"));
                    submit(
                        &browser,
                        &form,
                        Kind::Undelete,
                        &mut outcomes,
                        &mut committed,
                    )
                    .await;
                    continue;
                }
                show.assert_status(StatusCode::OK);
                match (client + round) % 8 {
                    0 => {
                        let confirm = browser.get(&format!("{path}/delete")).await;
                        if confirm.status != StatusCode::OK {
                            continue; // deleted since: nothing submitted
                        }
                        let form = confirm.form(&format!("{path}/delete"));
                        submit(&browser, &form, Kind::Delete, &mut outcomes, &mut committed).await;
                    }
                    1..=3 => {
                        let history = browser.get(&format!("{path}/history")).await;
                        let forms: Vec<Form> = history
                            .forms()
                            .into_iter()
                            .filter(|f| f.action.ends_with("/restore"))
                            .collect();
                        if let Some(form) = forms.get(round % forms.len().max(1)) {
                            submit(&browser, form, Kind::Restore, &mut outcomes, &mut committed)
                                .await;
                        }
                    }
                    _ => {
                        let edit = browser.get(&format!("{path}/edit")).await;
                        if edit.status != StatusCode::OK {
                            continue; // deleted since: nothing submitted
                        }
                        let mut form = edit.form(&path);
                        form.set("name", &format!("client {client} round {round}"));
                        submit(&browser, &form, Kind::Edit, &mut outcomes, &mut committed).await;
                    }
                }
            }
            all_committed
                .lock()
                .expect("not poisoned")
                .extend(committed);
            outcomes
        }
    })
    .await;
    let committed = std::mem::take(&mut *committed.lock().expect("not poisoned"));
    let count = |kind: Kind| committed.iter().filter(|k| **k == kind).count() as u64;
    let student = db_checks::student(&app.db, id).await;
    let revisions = db_checks::all_revisions(&app.db, id).await;
    println!(
        "{}: {} submissions -> {} 303 ({} committed: {} edits, {} restores, {} deletes, {} undeletes), {} 409, {} 410; final version {}; {revisions} revisions",
        backend.name(),
        outcomes.total(),
        outcomes.count(StatusCode::SEE_OTHER),
        committed.len(),
        count(Kind::Edit),
        count(Kind::Restore),
        count(Kind::Delete),
        count(Kind::Undelete),
        outcomes.count(StatusCode::CONFLICT),
        outcomes.count(StatusCode::GONE),
        student.version
    );
    let expected = [
        StatusCode::SEE_OTHER,
        StatusCode::CONFLICT,
        StatusCode::GONE,
    ];
    assert!(
        outcomes.others(&expected).is_empty(),
        "unexpected statuses {:?}",
        outcomes.others(&expected)
    );
    // Which kinds commit is up to the race (a restore needs a fresh
    // version, and it may never get one): the mix must commit changes, and
    // a record that was deleted must have come back at least once.
    assert!(count(Kind::Edit) + count(Kind::Restore) + count(Kind::Delete) > 0);
    assert!(count(Kind::Delete) == 0 || count(Kind::Undelete) > 0);
    assert_eq!(
        student.version - 1,
        committed.len() as i64,
        "version - 1 != committed"
    );
    assert_eq!(
        revisions - 1,
        committed.len() as u64,
        "revisions after the first != committed"
    );
    assert_eq!(student.version, revisions as i64, "version != revisions");
    for (kind, action) in [
        (Kind::Edit, Action::Updated),
        (Kind::Restore, Action::Restored),
        (Kind::Delete, Action::Deleted),
        (Kind::Undelete, Action::Undeleted),
    ] {
        assert_eq!(
            db_checks::revisions(&app.db, id, action).await,
            count(kind),
            "{kind:?}"
        );
    }
}
