//! Many registrars saving one record at once: every save either commits
//! as the next version or is refused as stale; none is lost, none
//! duplicated, on every backend and across app instances.

use std::sync::Arc;

use axum::http::StatusCode;
use registrar::testing::{Backend, Outcomes, TestApp};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

const CLIENTS: usize = 32;
const ROUNDS: usize = 20;

on_every_backend!(concurrent_edits_of_one_record_lose_no_update);

/// Each client, `ROUNDS` times: GET the edit form, change the name to a
/// value nobody else writes, POST it. Clients are spread over `apps`.
async fn hammer(apps: &[Arc<TestApp>], id: i64) -> Outcomes {
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let app = Arc::clone(&apps[client % apps.len()]);
        tasks.push(tokio::spawn(async move {
            let browser = app.browser();
            let mut outcomes = Outcomes::default();
            for round in 0..ROUNDS {
                let path = format!("/students/{id}");
                let edit = browser.get(&format!("{path}/edit")).await;
                edit.assert_status(StatusCode::OK);
                let mut form = edit.form(&path);
                form.set("name", &format!("client {client} round {round}"));
                let page = form.submit(&browser).await;
                outcomes.record(page.status);
            }
            outcomes
        }));
    }
    let mut all = Outcomes::default();
    for task in tasks {
        all.merge(&task.await.expect("a client task panicked"));
    }
    all
}

async fn check_nothing_lost(app: &TestApp, id: i64, outcomes: &Outcomes, label: &str) {
    let saved = outcomes.count(StatusCode::SEE_OTHER);
    let refused = outcomes.count(StatusCode::CONFLICT);
    let student = db_checks::student(&app.db, id).await;
    let update_revisions = db_checks::revisions(&app.db, id, "updated").await;
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
}

async fn concurrent_edits_of_one_record_lose_no_update(backend: Backend) {
    let app = Arc::new(spawn_app!(backend));
    let id = app
        .create_student(&app.browser(), "Ada", "1 Main St", "3")
        .await;
    let outcomes = hammer(&[Arc::clone(&app)], id).await;
    check_nothing_lost(&app, id, &outcomes, backend.name()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_lose_no_update() {
    let first = Arc::new(spawn_app!(Backend::Postgres));
    let second = Arc::new(first.another_instance().await);
    let id = first
        .create_student(&first.browser(), "Ada", "1 Main St", "3")
        .await;
    let outcomes = hammer(&[Arc::clone(&first), Arc::clone(&second)], id).await;
    check_nothing_lost(&first, id, &outcomes, "two instances on PostgreSQL").await;
}
