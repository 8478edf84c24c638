//! Running on clustered databases (contract §10), proven on real clusters
//! brought up by `scripts/cluster/`: a three-node MariaDB Galera cluster
//! with a registrar instance on every node, and a pg_auto_failover pair
//! behind HAProxy whose primary is killed under load.
//!
//! They need root (or the mysql and postgres users), galera-4,
//! pg_auto_failover and HAProxy, and about a minute each: they run when
//! `REGISTRAR_TEST_CLUSTERS=1` (CI sets it) and otherwise say that they
//! were skipped. They run one after another, never at once.
//!
//! Each prints its figures: saves (303), conflicts (409), retries of
//! aborted transactions, 503s (busy, or "outcome unknown"), the longest
//! stall (the longest time without a save) and the time to recover.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::cluster::retry;
use registrar::cluster::submission::{self, Submission};
use registrar::db::entities::revision::Action;
use registrar::testing::{AppOptions, Backend, Browser, TestApp, report_skip};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use crate::db_checks;

/// One cluster scenario at a time, whatever the test harness runs at once.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const GALERA_NODES: [u16; 3] = [3311, 3312, 3313];
const PG_PROXY: &str = "postgres://postgres@127.0.0.1:6010/registrar";

fn clusters_enabled() -> bool {
    if std::env::var("REGISTRAR_TEST_CLUSTERS").is_ok_and(|v| v == "1") {
        return true;
    }
    report_skip(
        "database clusters",
        "REGISTRAR_TEST_CLUSTERS is not 1",
        "REGISTRAR_TEST_CLUSTERS=1 (needs root, galera-4, pg_auto_failover, haproxy)",
    );
    false
}

/// A cluster started by one of the project's scripts; stopped (by the
/// script, by PID) when dropped.
struct Cluster {
    script: PathBuf,
    state_var: &'static str,
    state: PathBuf,
}

impl Cluster {
    async fn up(script: &str, state_var: &'static str) -> Cluster {
        let state = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{}-{}",
            script.trim_end_matches(".sh"),
            std::process::id()
        ));
        let cluster = Cluster {
            script: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("scripts/cluster")
                .join(script),
            state_var,
            state,
        };
        let started = Instant::now();
        cluster.run(&["up"]).await;
        println!("{script} up in {:.1} s", started.elapsed().as_secs_f64());
        cluster
    }

    async fn run(&self, args: &[&str]) -> String {
        let mut command = std::process::Command::new(&self.script);
        command.args(args).env(self.state_var, &self.state);
        let what = format!("{} {}", self.script.display(), args.join(" "));
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the script's thread")
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{what} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.script)
            .arg("down")
            .env(self.state_var, &self.state)
            .output();
    }
}

/// What became of one submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Saved,
    Conflict,
    /// `503`, "busy": nothing was saved.
    Busy,
    /// `503`, "saved or not: unknown".
    Unknown,
    /// Anything else (a bug).
    Other(u16),
    /// The request got no answer at all.
    Unanswered,
    /// The edit form itself could not be opened (a `503`, or no answer):
    /// nothing was submitted.
    FormRefused,
}

#[derive(Debug, Clone)]
struct Submitted {
    client: usize,
    at: Instant,
    took: Duration,
    answer: Answer,
    seen_version: i64,
    name: String,
    submission: Option<Submission>,
}

/// `clients` browsers, client `c` signed in on `apps[c % len]`, all of
/// them before any load starts (a sign-in hashes a password: slow on a
/// loaded machine, and it must not meet a node being killed).
async fn signed_in_clients(apps: &[Arc<TestApp>], clients: usize) -> Vec<Browser> {
    futures_util::future::join_all(
        (0..clients).map(|client| apps[client % apps.len()].signed_in_browser()),
    )
    .await
}

/// Each of `browsers` (client `c` is the `c`th) editing the name of
/// student `id` over and over until `stop` turns true.
async fn edit_hot(browsers: Vec<Browser>, id: i64, stop: watch::Receiver<bool>) -> Vec<Submitted> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (client, browser) in browsers.into_iter().enumerate() {
        let log = Arc::clone(&log);
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let path = format!("/students/{id}");
            let mut round = 0;
            while !*stop.borrow() {
                round += 1;
                let opened = Instant::now();
                let edit = match browser.try_get(&format!("{path}/edit")).await {
                    Ok(page) if page.status == StatusCode::OK => page,
                    _ => {
                        log.lock().expect("not poisoned").push(Submitted {
                            client,
                            at: opened,
                            took: opened.elapsed(),
                            answer: Answer::FormRefused,
                            seen_version: 0,
                            name: String::new(),
                            submission: None,
                        });
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let mut form = edit.form(&path);
                let name = format!("c{client} r{round}");
                form.set("name", &name);
                let seen_version = form
                    .value("version")
                    .and_then(|v| v.parse().ok())
                    .expect("a version");
                let submission = Submission::parse(form.value("submission")).expect("an id");
                let started = Instant::now();
                let answer = match browser.try_submit(&form).await {
                    Ok(page) => match page.status {
                        StatusCode::SEE_OTHER => Answer::Saved,
                        StatusCode::CONFLICT => Answer::Conflict,
                        StatusCode::SERVICE_UNAVAILABLE
                            if page.text("#notice-title").as_deref()
                                == Some("Saved or not: unknown") =>
                        {
                            Answer::Unknown
                        }
                        StatusCode::SERVICE_UNAVAILABLE => Answer::Busy,
                        other => Answer::Other(other.as_u16()),
                    },
                    Err(_) => Answer::Unanswered,
                };
                log.lock().expect("not poisoned").push(Submitted {
                    client,
                    at: started,
                    took: started.elapsed(),
                    answer,
                    seen_version,
                    name,
                    submission,
                });
                if matches!(answer, Answer::Busy | Answer::Unknown | Answer::Unanswered) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a client task");
    }
    std::mem::take(&mut *log.lock().expect("not poisoned"))
}

/// The figures of a run.
struct Figures {
    saves: u64,
    conflicts: u64,
    busy: u64,
    unknown: u64,
    others: Vec<Answer>,
    retries: u64,
    exhausted: u64,
    longest_stall: Duration,
    slowest_answer: Duration,
    slowest_503: Duration,
    forms_refused: u64,
    slowest_refusal: Duration,
}

impl Figures {
    fn of(log: &[Submitted], before: retry::RetryCounts) -> Figures {
        let count = |answer| log.iter().filter(|s| s.answer == answer).count() as u64;
        let after = retry::counts();
        let mut saves: Vec<Instant> = log
            .iter()
            .filter(|s| s.answer == Answer::Saved)
            .map(|s| s.at + s.took)
            .collect();
        saves.sort();
        let longest_stall = saves
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default();
        Figures {
            saves: count(Answer::Saved),
            conflicts: count(Answer::Conflict),
            busy: count(Answer::Busy),
            unknown: count(Answer::Unknown),
            others: log
                .iter()
                .map(|s| s.answer)
                .filter(|a| {
                    !matches!(
                        a,
                        Answer::Saved
                            | Answer::Conflict
                            | Answer::Busy
                            | Answer::Unknown
                            | Answer::FormRefused
                    )
                })
                .collect(),
            retries: after.retries - before.retries,
            exhausted: after.exhausted - before.exhausted,
            longest_stall,
            slowest_answer: log.iter().map(|s| s.took).max().unwrap_or_default(),
            slowest_503: log
                .iter()
                .filter(|s| matches!(s.answer, Answer::Busy | Answer::Unknown))
                .map(|s| s.took)
                .max()
                .unwrap_or_default(),
            forms_refused: count(Answer::FormRefused),
            slowest_refusal: log
                .iter()
                .filter(|s| s.answer == Answer::FormRefused)
                .map(|s| s.took)
                .max()
                .unwrap_or_default(),
        }
    }

    fn print(&self, label: &str, recovered: Option<Duration>) {
        println!(
            "{label}: {} saves (303), {} conflicts (409), {} retries of aborted transactions ({} gave up), \
             {} busy 503s, {} outcome-unknown 503s, {} other answers; longest stall without a save {:.2} s, \
             slowest answer {:.2} s, slowest 503 {:.2} s; {} edit forms not opened (slowest refusal {:.2} s){}",
            self.saves,
            self.conflicts,
            self.retries,
            self.exhausted,
            self.busy,
            self.unknown,
            self.others.len(),
            self.longest_stall.as_secs_f64(),
            self.slowest_answer.as_secs_f64(),
            self.slowest_503.as_secs_f64(),
            self.forms_refused,
            self.slowest_refusal.as_secs_f64(),
            recovered.map_or(String::new(), |r| format!(
                "; time to recover {:.2} s",
                r.as_secs_f64()
            ))
        );
    }
}

/// On `db`: the student's version − 1 = update revisions = `committed`, and
/// every save answered `303` is the revision after the version its form
/// was opened at, with the name it sent.
async fn check_saves_on(
    db: &DatabaseConnection,
    id: i64,
    log: &[Submitted],
    committed: u64,
    label: &str,
) {
    let student = db_checks::student(db, id).await;
    let updates = db_checks::update_revisions(db, id).await;
    assert_eq!(
        (student.version - 1) as u64,
        committed,
        "{label}: version − 1 is not the number of committed saves"
    );
    assert_eq!(updates.len() as u64, committed, "{label}: update revisions");
    let written: HashMap<i64, String> = updates.into_iter().map(|r| (r.version, r.name)).collect();
    for save in log.iter().filter(|s| s.answer == Answer::Saved) {
        assert_eq!(
            written.get(&(save.seen_version + 1)),
            Some(&save.name),
            "{label}: the acknowledged save {:?} (opened at version {}) is missing",
            save.name,
            save.seen_version
        );
    }
}

/// Checks every "busy" and "outcome unknown" answer against the database:
/// a busy page ("nothing was saved") must be true; returns how many of the
/// unknown ones had in fact committed.
async fn check_503s_against(db: &DatabaseConnection, log: &[Submitted], label: &str) -> u64 {
    let mut unknown_committed = 0;
    for sent in log.iter().filter(|s| {
        matches!(
            s.answer,
            Answer::Busy | Answer::Unknown | Answer::Unanswered
        )
    }) {
        let submission = sent.submission.as_ref().expect("forms carry an id");
        let committed = submission::committed(db, submission).await.expect("query");
        match sent.answer {
            Answer::Busy => assert!(
                committed.is_none(),
                "{label}: a busy page said nothing was saved, but {:?} committed",
                sent.name
            ),
            _ => unknown_committed += u64::from(committed.is_some()),
        }
    }
    unknown_committed
}

async fn connect(url: &str) -> DatabaseConnection {
    registrar::db::connect(url, 2, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

fn node_url(database_url: &str, port: u16) -> String {
    database_url.replacen("127.0.0.1:3311", &format!("127.0.0.1:{port}"), 1)
}

/// Three instances, instance `i` connected to Galera node `i`.
async fn instances_on_every_node() -> Vec<Arc<TestApp>> {
    let first = TestApp::spawn_at(
        Backend::MySql,
        "mysql://root@127.0.0.1:3311/mysql",
        AppOptions::default(),
    )
    .await;
    let mut apps = vec![Arc::new(first)];
    for port in &GALERA_NODES[1..] {
        let options = AppOptions {
            database_via: Some(format!("127.0.0.1:{port}").parse().expect("an address")),
            ..AppOptions::default()
        };
        apps.push(Arc::new(apps[0].another_instance_with(options).await));
    }
    apps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_three_writers_on_one_record_lose_no_update() {
    if !clusters_enabled() {
        return;
    }
    let _serial = SERIAL.lock().await;
    let _cluster = Cluster::up("galera.sh", "GALERA_STATE").await;
    let apps = instances_on_every_node().await;
    let id = apps[0]
        .create_student(&apps[0].signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;

    let browsers = signed_in_clients(&apps, 24).await;
    let before = retry::counts();
    let (stop, stopped) = watch::channel(false);
    let load = tokio::spawn(async move { edit_hot(browsers, id, stopped).await });
    tokio::time::sleep(Duration::from_secs(20)).await;
    stop.send(true).expect("clients listen");
    let log = load.await.expect("the load");
    let figures = Figures::of(&log, before);
    figures.print(
        "Galera, 3 instances on 3 nodes, 8 clients each, one record, 20 s",
        None,
    );
    let posted = log
        .iter()
        .filter(|s| s.answer != Answer::FormRefused)
        .count();
    let mut saves: Vec<Duration> = log
        .iter()
        .filter(|s| s.answer == Answer::Saved)
        .map(|s| s.took)
        .collect();
    saves.sort();
    let p99 = saves
        .get((saves.len() * 99 / 100).min(saves.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default();
    println!(
        "Galera hot row: {posted} POSTs, {:.2} % answered 503, saves p50 {:.0} ms, p99 {:.0} ms",
        100.0 * figures.busy as f64 / posted.max(1) as f64,
        saves
            .get(saves.len() / 2)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3,
        p99.as_secs_f64() * 1e3
    );

    assert!(
        figures.others.is_empty(),
        "unexpected answers: {:?}",
        figures.others
    );
    assert_eq!(figures.unknown, 0, "no connection was cut");
    assert!(
        figures.busy <= figures.exhausted,
        "a 503 without a spent retry budget: {} busy, {} gave up",
        figures.busy,
        figures.exhausted
    );
    assert!(figures.saves > 0 && figures.conflicts > 0);
    for port in GALERA_NODES {
        let db = connect(&node_url(apps[0].database_url(), port)).await;
        check_saves_on(&db, id, &log, figures.saves, &format!("node on {port}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_a_node_killed_mid_load_loses_no_acknowledged_save() {
    if !clusters_enabled() {
        return;
    }
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::up("galera.sh", "GALERA_STATE").await;
    let apps = instances_on_every_node().await;
    let id = apps[0]
        .create_student(&apps[0].signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;

    let browsers = signed_in_clients(&apps, 6).await;
    let before = retry::counts();
    let (stop, stopped) = watch::channel(false);
    let load = tokio::spawn(async move { edit_hot(browsers, id, stopped).await });
    tokio::time::sleep(Duration::from_secs(4)).await;
    cluster.run(&["kill", "3"]).await;
    let killed = Instant::now();
    // Longer than the stall of the survivors' commits (evs.suspect_timeout,
    // about 6 s), so that they are seen saving without node 3.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let restart = Instant::now();
    cluster.run(&["restart", "3"]).await;
    let caught_up = restart.elapsed();
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.send(true).expect("clients listen");
    let log = load.await.expect("the load");
    let figures = Figures::of(&log, before);
    // Node 3's instance saves again once its node is back (from the
    // moment the node is Synced).
    let node3_back = log
        .iter()
        .filter(|s| s.client % 3 == 2 && s.answer == Answer::Saved && s.at > back)
        .map(|s| s.at + s.took - back)
        .min();
    let survivors_while_down = log
        .iter()
        .filter(|s| {
            s.client % 3 != 2 && s.answer == Answer::Saved && s.at > killed && s.at < restart
        })
        .count();
    figures.print(
        "Galera, node 3 killed (kill -9) after 4 s and restarted 10 s later",
        node3_back,
    );
    println!(
        "  survivors saved {survivors_while_down} times while node 3 was down; node 3 rejoined by IST in {:.1} s",
        caught_up.as_secs_f64()
    );

    assert!(
        figures.others.is_empty(),
        "unexpected answers: {:?}",
        figures.others
    );
    assert!(survivors_while_down > 0, "the survivors kept saving");
    assert!(
        node3_back.is_some(),
        "node 3's instance saves again without a restart"
    );
    let db1 = connect(&node_url(apps[0].database_url(), 3311)).await;
    let unknown_committed = check_503s_against(&db1, &log, "Galera kill").await;
    println!(
        "  of {} outcome-unknown answers, {unknown_committed} had committed",
        figures.unknown
    );
    for port in GALERA_NODES {
        let db = connect(&node_url(apps[0].database_url(), port)).await;
        check_saves_on(
            &db,
            id,
            &log,
            figures.saves + unknown_committed,
            &format!("node on {port}"),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_primary_killed_mid_load_fails_over_and_recovers() {
    if !clusters_enabled() {
        return;
    }
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::up("pg-failover.sh", "PG_FAILOVER_STATE").await;
    let first =
        Arc::new(TestApp::spawn_at(Backend::Postgres, PG_PROXY, AppOptions::default()).await);
    let second = Arc::new(first.another_instance().await);
    let apps = vec![Arc::clone(&first), second];
    let id = first
        .create_student(&first.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;

    let browsers = signed_in_clients(&apps, 8).await;
    let before = retry::counts();
    let (stop, stopped) = watch::channel(false);
    let load = tokio::spawn(async move { edit_hot(browsers, id, stopped).await });
    tokio::time::sleep(Duration::from_secs(4)).await;
    let killed = Instant::now();
    let said = cluster.run(&["kill-primary"]).await;
    // Saves sent from here on cannot reach the old primary.
    let dead = Instant::now();
    println!("{} in {:.2} s", said.trim(), (dead - killed).as_secs_f64());
    // Load goes on until saves come back, then a few seconds more.
    let deadline = killed + Duration::from_secs(40);
    let mut failed_over = None;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let db = registrar::db::connect(first.database_url(), 1, Duration::from_secs(1)).await;
        if let Ok(db) = db
            && db_checks::try_student(&db, id).await.is_some()
        {
            failed_over = Some(killed.elapsed());
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.send(true).expect("clients listen");
    let log = load.await.expect("the load");
    let figures = Figures::of(&log, before);
    let first_save_after = log
        .iter()
        .filter(|s| s.answer == Answer::Saved && s.at > dead)
        .map(|s| s.at + s.took - killed)
        .min();
    figures.print(
        "PostgreSQL pair behind HAProxy, primary node killed after 4 s, 8 clients",
        first_save_after,
    );
    println!("  {}", cluster.run(&["status"]).await.replace('\n', "; "));

    println!(
        "  the proxy reached the new primary {:.2} s after the old one was killed",
        failed_over.map_or(f64::NAN, |d| d.as_secs_f64())
    );
    assert!(failed_over.is_some(), "the failover completed");
    assert!(
        first_save_after.is_some(),
        "registrar saves again without a restart"
    );
    assert!(
        figures.others.is_empty(),
        "unexpected answers: {:?}",
        figures.others
    );
    let db = connect(first.database_url()).await;
    let unknown_committed = check_503s_against(&db, &log, "PostgreSQL failover").await;
    println!(
        "  of {} outcome-unknown answers, {unknown_committed} had committed",
        figures.unknown
    );
    check_saves_on(
        &db,
        id,
        &log,
        figures.saves + unknown_committed,
        "the new primary",
    )
    .await;
    assert_eq!(
        db_checks::revisions(&db, id, Action::Updated).await,
        figures.saves + unknown_committed
    );
}

/// The change feed on Galera (contract §13 under §10): registrars save
/// through the forms (two on each node) and the API (one on each node) on
/// six records and an import confirms through node 2, while a reader tails
/// `GET /api/v1/changes` on node 1's instance in pages of 3 to 7. Whichever instance holds the sequencer's
/// lease stamps every node's commits; the reader sees every revision once,
/// each record's versions in order, and every node holds the same
/// positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_feed_gives_a_reader_every_revision_once_with_writers_on_every_node() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use registrar::db::entities::revision;
    use registrar::feed;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    use sea_orm::{EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use crate::feed::{api_reader, assert_every_revision_once, assert_positions_dense};
    use crate::feed_race::{
        Tally, Writing, api_writer, committed, form_writer, import_writer, tail,
    };

    if !clusters_enabled() {
        return;
    }
    let _serial = SERIAL.lock().await;
    let _cluster = Cluster::up("galera.sh", "GALERA_STATE").await;
    let apps = instances_on_every_node().await;
    let browser = apps[0].signed_in_browser().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(
            apps[0]
                .create_student(&browser, &format!("Student {n}"), "1 Main St", "3")
                .await,
        );
    }
    let writing = Writing {
        ids: Arc::new(ids),
        stop: Arc::new(AtomicBool::new(false)),
        tally: Arc::new(Tally::default()),
        busy_ok: true,
    };
    let before = retry::counts();
    let mut writers = Vec::new();
    for (node, app) in apps.iter().enumerate() {
        for seed in 0..2 {
            let seed = 1 + 2 * node as u64 + seed;
            writers.push(tokio::spawn(form_writer(
                Arc::clone(app),
                seed,
                writing.clone(),
            )));
        }
    }
    for (node, app) in apps.iter().enumerate() {
        let seed = 10 + node as u64;
        writers.push(tokio::spawn(api_writer(
            Arc::clone(app),
            seed,
            writing.clone(),
        )));
    }
    writers.push(tokio::spawn(import_writer(
        Arc::clone(&apps[1]),
        writing.clone(),
    )));

    let db = &apps[0].db;
    let mut reader = api_reader(&apps[0], 3).await;
    let mut read_while_writing = tail(&mut reader, db, Duration::from_secs(20)).await;
    let started = Instant::now();
    while writing.tally.any_idle() && started.elapsed() < Duration::from_secs(60) {
        read_while_writing = tail(&mut reader, db, Duration::from_millis(500)).await;
    }
    writing
        .stop
        .store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("a writer");
    }
    let committed = committed(db).await;
    reader.until(db, committed, Duration::from_secs(30)).await;
    for _ in 0..3 {
        assert_eq!(reader.page(db).await, 0, "nothing more, nothing twice");
    }
    let (students, revisions) = assert_every_revision_once(db, &reader.seen).await;
    let stamped = assert_positions_dense(db).await;
    assert_eq!(stamped as usize, revisions);
    // Every node holds the same positions.
    let mut placed = Vec::new();
    for port in GALERA_NODES {
        let node = connect(&node_url(apps[0].database_url(), port)).await;
        let positions: Vec<(i64, i64)> = revision::Entity::find()
            .select_only()
            .column(revision::Column::Id)
            .column_as(Expr::col(Alias::new(feed::store::FEED_POSITION)), "p")
            .filter(Expr::col(Alias::new(feed::store::FEED_POSITION)).is_not_null())
            .order_by_asc(revision::Column::Id)
            .into_tuple()
            .all(&node)
            .await
            .expect("the positions");
        placed.push(positions);
    }
    assert!(
        placed.windows(2).all(|w| w[0] == w[1]),
        "the nodes disagree on positions"
    );
    let holder = feed::head::read(db).await.expect("the row").holder;
    let tally = &writing.tally;
    let retries = retry::counts().retries - before.retries;
    println!(
        "Galera, 3 instances on 3 nodes, 6 form writers, 3 API writers and an import, 20 s: {} \
         ({retries} retries of aborted transactions); the reader (GET /api/v1/changes on node 1, \
         pages of 3 to 7) saw {revisions} revisions of {students} students in {} pages \
         ({read_while_writing} while the writers wrote), each once, every record's versions in \
         order; positions dense and alike on every node; the lease with {holder:?}",
        tally.summary(),
        reader.pages,
    );
    assert!(tally.saved.load(Ordering::Relaxed) > 0 && tally.api_saved.load(Ordering::Relaxed) > 0);
    assert!(read_while_writing > 0);
}
