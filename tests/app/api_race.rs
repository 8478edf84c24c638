//! API clients and form clients on one record at once (contract §13, §2):
//! every write is answered `200`/`303` and is exactly the next version, or
//! `412`/`409` and wrote nothing but its conflict entry; afterwards
//! version − 1 = acknowledged writes = update revisions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use registrar::db::entities::revision::Action;
use registrar::testing::{Backend, Outcomes, concurrently};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_students::{api, create};
use crate::db_checks;
use crate::{on_every_backend, spawn_app};

const CLIENTS: usize = 16;
const ROUNDS: usize = 12;

on_every_backend!(api_and_form_writers_on_one_record_lose_nothing);

async fn api_and_form_writers_on_one_record_lose_nothing(backend: Backend) {
    let app = Arc::new(spawn_app!(backend));
    let api = api(&app).await;
    let id = create(&api, "Race Record").await;
    let path = format!("/api/v1/students/{id}");
    // (the version a write was made over, the name it wrote)
    let saves = Arc::new(Mutex::new(Vec::<(i64, String)>::new()));
    let replays = Arc::new(Mutex::new(0_u64));
    let outcomes = concurrently(CLIENTS, |client, start| {
        let (app, api, path) = (Arc::clone(&app), api.clone(), path.clone());
        let (saves, replays) = (Arc::clone(&saves), Arc::clone(&replays));
        async move {
            let browser = (client % 2 == 1).then_some(app.signed_in_browser());
            let browser = match browser {
                Some(signing_in) => Some(signing_in.await),
                None => None,
            };
            start.wait().await;
            let mut outcomes = Outcomes::default();
            for round in 0..ROUNDS {
                let name = format!("client {client} round {round}");
                let (seen, status) = match &browser {
                    Some(browser) => {
                        let form = app.edit_form(browser, id, &[("name", &name)]).await;
                        let seen = form.value("version").and_then(|v| v.parse().ok());
                        (seen.expect("a version"), form.submit(browser).await.status)
                    }
                    None => {
                        let read = api.get(&path).await;
                        let seen = read.etag_version().expect("an ETag");
                        let key = format!("race-{client}-{round}");
                        let if_match = format!("\"{seen}\"");
                        let body = json!({"name": name}).to_string().into_bytes();
                        let headers = [
                            ("if-match", if_match.as_str()),
                            ("idempotency-key", key.as_str()),
                        ];
                        let send = || {
                            api.request(
                                Method::PATCH,
                                &path,
                                &headers,
                                Some(("application/json", body.clone())),
                            )
                        };
                        let first = send().await;
                        // Sent again, as a client that lost the answer would:
                        // the same answer, nothing written twice.
                        if round % 3 == 0 {
                            let again = send().await;
                            assert_eq!((again.status, &again.body), (first.status, &first.body));
                            assert_eq!(again.header("idempotent-replayed"), Some("true"));
                            *replays.lock().unwrap() += 1;
                        }
                        (seen, first.status)
                    }
                };
                outcomes.record(status);
                if status == StatusCode::OK || status == StatusCode::SEE_OTHER {
                    saves.lock().unwrap().push((seen, name));
                }
            }
            outcomes
        }
    })
    .await;

    let acknowledged = outcomes.count(StatusCode::OK) + outcomes.count(StatusCode::SEE_OTHER);
    let refused =
        outcomes.count(StatusCode::PRECONDITION_FAILED) + outcomes.count(StatusCode::CONFLICT);
    let student = db_checks::student(&app.db, id).await;
    let updates = db_checks::revisions(&app.db, id, Action::Updated).await;
    let conflicts = db_checks::conflicts(&app.db, id).await.len() as u64;
    println!(
        "{}: {} writes -> {} API 200, {} form 303, {} API 412, {} form 409; {} replays; version {}; {updates} update revisions; {conflicts} conflict entries",
        backend.name(),
        outcomes.total(),
        outcomes.count(StatusCode::OK),
        outcomes.count(StatusCode::SEE_OTHER),
        outcomes.count(StatusCode::PRECONDITION_FAILED),
        outcomes.count(StatusCode::CONFLICT),
        replays.lock().unwrap(),
        student.version,
    );
    let expected = [
        StatusCode::OK,
        StatusCode::SEE_OTHER,
        StatusCode::PRECONDITION_FAILED,
        StatusCode::CONFLICT,
    ];
    assert!(
        outcomes.others(&expected).is_empty(),
        "{:?}",
        outcomes.others(&expected)
    );
    assert_eq!(outcomes.total(), (CLIENTS * ROUNDS) as u64);
    assert!(outcomes.count(StatusCode::OK) > 0 && outcomes.count(StatusCode::SEE_OTHER) > 0);
    assert_eq!(
        student.version - 1,
        acknowledged as i64,
        "version - 1 != acknowledged writes"
    );
    assert_eq!(
        updates, acknowledged,
        "update revisions != acknowledged writes"
    );
    assert_eq!(conflicts, refused, "conflict entries != refusals");
    let written: HashMap<i64, String> = db_checks::update_revisions(&app.db, id)
        .await
        .into_iter()
        .map(|r| (r.version, r.name))
        .collect();
    for (seen, name) in saves.lock().unwrap().iter() {
        assert_eq!(written.get(&(seen + 1)), Some(name), "{name} over {seen}");
    }
}
