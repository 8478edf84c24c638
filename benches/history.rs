//! The office's log (`/changes`) and the change feed (`/api/v1/changes`)
//! at 5,000,000 revisions (contract §16): fills a fresh database per
//! backend with demo students and then revisions (written straight into
//! `revisions`, already stamped with feed positions, in transactions that
//! hold the feed's row as the sequencer does), then times each page
//! through real HTTP. Prints p50 / p99 in milliseconds.
//!
//! ```sh
//! cargo bench --bench history                                # 5 M, every backend
//! cargo bench --bench history -- --backends mysql --revisions 1000000
//! ```
//!
//! PostgreSQL and MySQL/MariaDB are found as the tests find them
//! (`REGISTRAR_TEST_POSTGRES_URL`, `REGISTRAR_TEST_MYSQL_URL`).

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use registrar::db::entities::revision;
use registrar::feed::{Cursor, head};
use registrar::students::demo;
use registrar::testing::{ApiClient, AppOptions, Backend, Browser, REGISTRAR, TestApp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

struct Options {
    backends: Vec<Backend>,
    revisions: u64,
    students: u64,
    samples: usize,
}

fn options() -> Options {
    let mut options = Options {
        backends: Backend::ALL.to_vec(),
        revisions: 5_000_000,
        students: 100_000,
        samples: 40,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--backends" => {
                options.backends = common::backends(&value);
            }
            "--revisions" => options.revisions = value.parse().expect("--revisions N"),
            "--students" => options.students = value.parse().expect("--students N"),
            "--samples" => options.samples = value.parse().expect("--samples N"),
            _ => {}
        }
    }
    options
}

/// Who wrote the filled revisions: the first of these whose `every`
/// divides the revision's number (so `cyd` one in 1,000, `bea` about one
/// in 10), else the bench's registrar.
const OTHERS: [(&str, u64); 2] = [("cyd", 1_000), ("bea", 10)];
/// One filled revision in this many is a delete (`action=deleted`).
const DELETES_EVERY: u64 = 50;
/// Rows a statement inserts, and statements a transaction holds.
const ROWS: u64 = 1_000;
const STATEMENTS: u64 = 100;

/// Adds `count` revisions over `students` students, the newest last, one
/// second apart and ending a day ago, stamped after the feed's last
/// position (moved on in the same transaction, the feed's row locked).
async fn fill_revisions(app: &TestApp, count: u64, students: u64) {
    let backend = app.db.get_database_backend();
    let start: DateTime<Utc> =
        registrar::db::now() - chrono::TimeDelta::seconds(count as i64 + 86_400);
    let mut written = 0;
    while written < count {
        let transaction = registrar::db::begin_write(&app.db).await.expect("begin");
        let lock = match backend {
            DbBackend::Sqlite => "",
            _ => " FOR UPDATE",
        };
        let last: i64 = transaction
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT last_position FROM feed_sequencer WHERE id = 1{lock}"),
            ))
            .await
            .expect("the feed's row")
            .expect("the feed's row")
            .try_get_by_index(0)
            .expect("last_position");
        let mut position = last;
        for _ in 0..STATEMENTS {
            if written == count {
                break;
            }
            let rows = std::cmp::min(ROWS, count - written);
            let mut insert = Query::insert();
            insert.into_table(revision::Entity).columns([
                Alias::new("student_id"),
                Alias::new("version"),
                Alias::new("action"),
                Alias::new("name"),
                Alias::new("address"),
                Alias::new("gpa_hundredths"),
                Alias::new("confidential"),
                Alias::new("registrar"),
                Alias::new("at"),
                Alias::new("hash"),
                Alias::new("feed_position"),
            ]);
            for n in written..written + rows {
                position += 1;
                let registrar = OTHERS
                    .iter()
                    .find(|(_, every)| n % every == 0)
                    .map_or(REGISTRAR, |(name, _)| name);
                let action = if n % DELETES_EVERY == 0 {
                    "deleted"
                } else {
                    "updated"
                };
                insert.values_panic([
                    Expr::val((n % students + 1) as i64),
                    Expr::val(1_000 + n as i64),
                    Expr::val(action),
                    Expr::val(format!("Filled Student {}", n % students)),
                    Expr::val(format!("{} Fill Road", n % 997)),
                    Expr::val((n % 400) as i16),
                    Expr::val(false),
                    Expr::val(registrar),
                    Expr::val(start + chrono::TimeDelta::seconds(n as i64)),
                    Expr::val(format!("{n:064x}")),
                    Expr::val(position),
                ]);
            }
            transaction.execute(&insert).await.expect("revisions");
            written += rows;
        }
        let mut moved = Query::update();
        moved
            .table(Alias::new("feed_sequencer"))
            .value(Alias::new("last_position"), position)
            .and_where(Expr::col(Alias::new("id")).eq(1));
        transaction.execute(&moved).await.expect("the feed's row");
        transaction.commit().await.expect("commit");
        if written % std::cmp::max(count / 10, 1) < ROWS * STATEMENTS {
            eprint!(" {}k", written / 1000);
        }
    }
    eprintln!();
}

/// p50 and p99 of `samples` timed GETs, and the bytes of the warm-up's
/// answer (so that an empty answer shows).
async fn latency<F, Fut>(samples: usize, mut get: F) -> (f64, f64, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (u16, usize)>,
{
    let (status, bytes) = get().await;
    assert_eq!(status, 200, "warm-up");
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        assert_eq!(get().await.0, 200);
        times.push(started.elapsed());
    }
    times.sort();
    let at =
        |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.50), at(0.99), bytes)
}

async fn page(browser: &Browser, path: &str) -> (u16, usize) {
    let page = browser.get(path).await;
    (page.status.as_u16(), page.body.len())
}

async fn feed(api: &ApiClient, path: &str) -> (u16, usize) {
    let answer = api.get(path).await;
    (answer.status.as_u16(), answer.body.len())
}

/// The `before=` cursor of the log's "older" link on `path`'s page.
async fn older_link(browser: &Browser, path: &str) -> String {
    let body = browser.get(path).await.body;
    let at = body.find("before=").expect("an older page");
    let rest = &body[at + "before=".len()..];
    let end = rest.find(['"', '&']).unwrap_or(rest.len());
    rest[..end].to_owned()
}

async fn run(backend: Backend, options: &Options) {
    let Some(app) = TestApp::spawn_with(backend, AppOptions::default()).await else {
        println!("{}: server unreachable, skipped", backend.name());
        return;
    };
    println!("\n== {} ==", backend.name());
    let started = Instant::now();
    demo::fill(&app.db, options.students, 1, false, |_| {})
        .await
        .expect("demo data");
    // The sequencer stamps the demo's revisions a batch at a time.
    loop {
        let head = head::read(&app.db).await.expect("the feed's row");
        let pending = registrar::feed::store::any_unstamped(&app.db, head.baseline)
            .await
            .expect("the unstamped revisions");
        if !pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    fill_revisions(&app, options.revisions, options.students).await;
    if backend == Backend::Postgres {
        app.db
            .execute_unprepared("VACUUM (ANALYZE) revisions")
            .await
            .expect("vacuum");
    } else if backend == Backend::MySql {
        app.db
            .execute_unprepared("ANALYZE TABLE revisions")
            .await
            .expect("analyze");
    }
    let revisions = revision::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    println!(
        "{revisions} revisions ({} students) in {:.0} s",
        options.students,
        started.elapsed().as_secs_f64()
    );

    let browser = app.signed_in_browser().await;
    let before = older_link(&browser, "/changes").await;
    let middle_student = options.students / 2;
    let yesterday = (registrar::db::now() - chrono::TimeDelta::days(1)).date_naive();
    let month_ago = yesterday - chrono::TimeDelta::days(30);
    let pages = [
        ("/changes, newest".to_owned(), "/changes".to_owned()),
        (
            "/changes, older (cursor)".to_owned(),
            format!("/changes?before={before}"),
        ),
        (
            "/changes?by=cyd (1 in 1,000)".to_owned(),
            "/changes?by=cyd".to_owned(),
        ),
        (
            "/changes?action=deleted".to_owned(),
            "/changes?action=deleted".to_owned(),
        ),
        (
            "/changes?student= (one record)".to_owned(),
            format!("/changes?student={middle_student}"),
        ),
        (
            "/changes, one day a month ago".to_owned(),
            format!("/changes?since={month_ago}&until={month_ago}"),
        ),
        (
            "/changes.csv?by=cyd".to_owned(),
            "/changes.csv?by=cyd".to_owned(),
        ),
    ];
    println!(
        "{:<36} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p99 ms", "KiB"
    );
    for (label, path) in &pages {
        let (p50, p99, bytes) = latency(options.samples, || page(&browser, path)).await;
        println!(
            "{label:<36} {p50:>9.1} {p99:>9.1} {:>9.1}",
            bytes as f64 / 1024.0
        );
    }

    let token = app.api_token(REGISTRAR, None).await;
    let api = ApiClient::new(&app.base_url, Some(&token));
    let head = head::read(&app.db).await.expect("the feed's row");
    let middle = std::cmp::max(head.last_position / 2, 1);
    let hash: Option<String> = revision::Entity::find()
        .select_only()
        .column(revision::Column::Hash)
        .filter(Expr::col(Alias::new("feed_position")).eq(middle))
        .into_tuple()
        .one(&app.db)
        .await
        .expect("query");
    let middle_cursor = Cursor::at(&head.epoch, middle, &hash.expect("a middle revision"));
    let feeds = [
        (
            "feed, from the start".to_owned(),
            "/api/v1/changes?limit=100".to_owned(),
        ),
        (
            "feed, after the middle".to_owned(),
            format!("/api/v1/changes?limit=100&after={middle_cursor}"),
        ),
    ];
    for (label, path) in &feeds {
        let (p50, p99, bytes) = latency(options.samples, || feed(&api, path)).await;
        println!(
            "{label:<36} {p50:>9.1} {p99:>9.1} {:>9.1}",
            bytes as f64 / 1024.0
        );
    }
    drop(app);
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var_os("RUST_LOG").is_none() {
        // SAFETY: set before any other thread starts reading the environment.
        unsafe { std::env::set_var("RUST_LOG", "warn") };
    }
    let options = options();
    println!(
        "history benchmark: {} revisions over {} students per backend, {} samples per page",
        options.revisions, options.students, options.samples
    );
    for backend in options.backends.clone() {
        run(backend, &options).await;
    }
}
