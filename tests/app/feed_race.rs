//! The feed under load: registrars saving through the forms and through
//! the API, and an import confirming, all at once on a few records, while
//! a reader tails `GET /api/v1/changes` in small pages (3 to 7 changes);
//! afterwards the reader has seen every revision exactly once, each
//! record's versions 1 to N in order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::db::entities::student;
use registrar::testing::{ApiClient, Backend, REGISTRAR, TestApp};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::feed::{Reader, api_reader, assert_every_revision_once, assert_positions_dense};
use crate::{on_every_backend, spawn_app};

on_every_backend!(every_revision_reaches_a_tailing_reader_once_in_order);

/// How long the writers write.
const WRITING: Duration = Duration::from_secs(6);
const RECORDS: i64 = 6;

/// A small deterministic generator (xorshift): which record, which page size.
pub(crate) struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// What the writers did.
#[derive(Default)]
pub(crate) struct Tally {
    pub saved: AtomicU64,
    pub refused: AtomicU64,
    /// Through the API: `PATCH` answered `200`, and `412`.
    pub api_saved: AtomicU64,
    pub api_refused: AtomicU64,
    /// `503`s ("busy, try again": nothing saved), on a cluster only.
    pub busy: AtomicU64,
    pub imports: AtomicU64,
}

impl Tally {
    /// Whether a kind of writer (forms, API, import) has not written yet.
    pub fn any_idle(&self) -> bool {
        [&self.saved, &self.api_saved, &self.imports]
            .iter()
            .any(|count| count.load(Ordering::Relaxed) == 0)
    }

    pub fn summary(&self) -> String {
        let n = |count: &AtomicU64| count.load(Ordering::Relaxed);
        format!(
            "{} saves through the forms ({} refused as stale), {} through the API ({} refused with 412), \
             {} imports, {} busy 503s",
            n(&self.saved),
            n(&self.refused),
            n(&self.api_saved),
            n(&self.api_refused),
            n(&self.imports),
            n(&self.busy)
        )
    }
}

/// Where writers write and until when.
#[derive(Clone)]
pub(crate) struct Writing {
    pub ids: Arc<Vec<i64>>,
    pub stop: Arc<AtomicBool>,
    pub tally: Arc<Tally>,
    /// Whether a `503` is an answer (a cluster's aborts beyond the retry
    /// budget) rather than a failure.
    pub busy_ok: bool,
}

/// Saves through the edit form, on random records, until told to stop.
pub(crate) async fn form_writer(app: Arc<TestApp>, seed: u64, writing: Writing) {
    let Writing {
        ids, stop, tally, ..
    } = writing.clone();
    let browser = app.signed_in_browser().await;
    let mut dice = Dice(seed);
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let id = ids[dice.roll(ids.len() as u64) as usize];
        let path = format!("/students/{id}");
        let edit = browser.get(&format!("{path}/edit")).await;
        if writing.busy_ok && edit.status == StatusCode::SERVICE_UNAVAILABLE {
            tally.busy.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        edit.assert_status(StatusCode::OK);
        let mut form = edit.form(&path);
        form.set("name", &format!("W{seed} r{round}"));
        let answer = form.submit(&browser).await;
        match answer.status {
            StatusCode::SEE_OTHER => tally.saved.fetch_add(1, Ordering::Relaxed),
            StatusCode::CONFLICT => tally.refused.fetch_add(1, Ordering::Relaxed),
            StatusCode::SERVICE_UNAVAILABLE if writing.busy_ok => {
                tally.busy.fetch_add(1, Ordering::Relaxed)
            }
            other => panic!("a save answered {other}"),
        };
    }
}

/// Saves through the API (`PATCH` over the version just read), on random
/// records, until told to stop.
pub(crate) async fn api_writer(app: Arc<TestApp>, seed: u64, writing: Writing) {
    let Writing {
        ids, stop, tally, ..
    } = writing.clone();
    let token = app.api_token(REGISTRAR, None).await;
    let api = ApiClient::new(&app.base_url, Some(&token));
    let mut dice = Dice(seed);
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let path = format!(
            "/api/v1/students/{}",
            ids[dice.roll(ids.len() as u64) as usize]
        );
        let read = api.get(&path).await;
        if writing.busy_ok && read.status == StatusCode::SERVICE_UNAVAILABLE {
            tally.busy.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        read.assert_status(StatusCode::OK);
        let version = read.etag_version().expect("an ETag");
        let name = format!("A{seed} r{round}");
        let answer = api.patch(&path, version, &json!({ "name": name })).await;
        match answer.status {
            StatusCode::OK => tally.api_saved.fetch_add(1, Ordering::Relaxed),
            StatusCode::PRECONDITION_FAILED => tally.api_refused.fetch_add(1, Ordering::Relaxed),
            StatusCode::SERVICE_UNAVAILABLE if writing.busy_ok => {
                tally.busy.fetch_add(1, Ordering::Relaxed)
            }
            other => panic!("a PATCH answered {other}: {}", answer.body),
        };
    }
}

/// Imports, one after another: each file updates two of the records at
/// their versions as read just before (refused if they moved since) and
/// creates one.
pub(crate) async fn import_writer(app: Arc<TestApp>, writing: Writing) {
    let Writing {
        ids, stop, tally, ..
    } = writing;
    let browser = app.signed_in_browser().await;
    let mut dice = Dice(99);
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let mut csv = String::from("id,name,address,gpa,version\n");
        for _ in 0..2 {
            let id = ids[dice.roll(ids.len() as u64) as usize];
            let now = student::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .expect("query")
                .expect("the student");
            if !csv.contains(&format!("\n{id},")) {
                csv.push_str(&format!(
                    "{id},Imported {round},1 Main St,3,{}\n",
                    now.version
                ));
            }
        }
        csv.push_str(&format!(",New {round},2 High St,2.5,\n"));
        import_as_on_a_cluster(&browser, csv).await;
        tally.imports.fetch_add(1, Ordering::Relaxed);
    }
}

/// Uploads `csv`, confirms it and waits for the job, as a registrar on a
/// cluster does: a step answered `503` ("Busy, try again": the database
/// kept aborting it, nothing was done) is sent again.
async fn import_as_on_a_cluster(browser: &registrar::testing::Browser, csv: String) {
    let busy = || tokio::time::sleep(Duration::from_millis(200));
    let checked = loop {
        let page = browser.upload_csv("feed.csv", csv.clone()).await;
        if page.status != StatusCode::SERVICE_UNAVAILABLE {
            break page;
        }
        busy().await;
    };
    checked.assert_status(StatusCode::SEE_OTHER);
    let path = checked.location().expect("the import's page").to_owned();
    loop {
        let confirmed = browser.post_with_token(&path, &[]).await;
        if confirmed.status != StatusCode::SERVICE_UNAVAILABLE {
            confirmed.assert_redirect_to(&path);
            break;
        }
        busy().await;
    }
    browser.wait_for_import(&path).await;
}

/// How many revisions are committed.
pub(crate) async fn committed(db: &DatabaseConnection) -> usize {
    let count = registrar::db::entities::revision::Entity::find()
        .count(db)
        .await
        .expect("count");
    usize::try_from(count).expect("fits")
}

/// Tails the feed for `time`, a page of 3 to 7 changes at a time; how many
/// changes it read.
pub(crate) async fn tail(reader: &mut Reader, db: &DatabaseConnection, time: Duration) -> usize {
    let started = Instant::now();
    let mut dice = Dice(7);
    while started.elapsed() < time {
        reader.set_limit(3 + dice.roll(5));
        if reader.page(db).await == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    reader.seen.len()
}

async fn every_revision_reaches_a_tailing_reader_once_in_order(backend: Backend) {
    let app = Arc::new(spawn_app!(backend));
    let browser = app.signed_in_browser().await;
    let mut ids = Vec::new();
    for n in 0..RECORDS {
        ids.push(
            app.create_student(&browser, &format!("Student {n}"), "1 Main St", "3")
                .await,
        );
    }
    let writing = Writing {
        ids: Arc::new(ids),
        stop: Arc::new(AtomicBool::new(false)),
        tally: Arc::new(Tally::default()),
        busy_ok: false,
    };
    let (stop, tally) = (Arc::clone(&writing.stop), Arc::clone(&writing.tally));
    let mut writers = Vec::new();
    for seed in 1..=3 {
        writers.push(tokio::spawn(form_writer(
            Arc::clone(&app),
            seed,
            writing.clone(),
        )));
    }
    for seed in 4..=5 {
        writers.push(tokio::spawn(api_writer(
            Arc::clone(&app),
            seed,
            writing.clone(),
        )));
    }
    writers.push(tokio::spawn(import_writer(
        Arc::clone(&app),
        writing.clone(),
    )));

    let mut reader = api_reader(&app, 3).await;
    let mut read_while_writing = tail(&mut reader, &app.db, WRITING).await;
    // On a loaded machine, until every kind of writer has written.
    let started = Instant::now();
    while tally.any_idle() && started.elapsed() < Duration::from_secs(60) {
        read_while_writing = tail(&mut reader, &app.db, Duration::from_millis(500)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("a writer");
    }
    let committed = committed(&app.db).await;
    reader
        .until(&app.db, committed, Duration::from_secs(20))
        .await;
    for _ in 0..3 {
        assert_eq!(reader.page(&app.db).await, 0, "nothing more, nothing twice");
    }
    let (students, revisions) = assert_every_revision_once(&app.db, &reader.seen).await;
    let stamped = assert_positions_dense(&app.db).await;
    assert_eq!(stamped as usize, revisions);
    println!(
        "{}: {}; the reader (GET /api/v1/changes, pages of 3 to 7) saw {revisions} revisions of \
         {students} students in {} pages ({read_while_writing} while the writers wrote), each once, \
         every record's versions in order",
        backend.name(),
        tally.summary(),
        reader.pages,
    );
    for (what, count) in [
        ("form saves", &tally.saved),
        ("API saves", &tally.api_saved),
        ("imports", &tally.imports),
    ] {
        assert!(count.load(Ordering::Relaxed) > 0, "no {what}");
    }
    assert!(
        read_while_writing > 0,
        "the reader read while the writers wrote"
    );
}
