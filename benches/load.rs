//! Load benchmark: the release server against one backend, driven by
//! virtual registrars through the real forms, beside the same edit
//! transaction run directly (no HTTP) as the raw ceiling.
//!
//! ```sh
//! cargo bench --bench load -- --db postgres
//! cargo bench --bench load -- --db sqlite --seconds 5 --clients 1,16
//! cargo bench --bench load -- --db postgres --soak 300   # RSS over 5 minutes
//! ```
//!
//! Prints a table per workload and client count and writes
//! `target/bench/load-<db>.json`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::auth::{accounts, password};
use registrar::config::DatabaseSettings;
use registrar::db::entities::student;
use registrar::domain::{NewPassword, Username};
use registrar::students::form::StudentForm;
use registrar::students::protocol::{self, EditOutcome};
use registrar::testing::{Backend, Browser, TestDatabase};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};

const PASSWORD: &str = "a long benchmark password";

struct Options {
    backend: Backend,
    students: u64,
    seconds: u64,
    clients: Vec<usize>,
    soak: u64,
    pool: u32,
}

fn options() -> Options {
    let mut options = Options {
        backend: Backend::Postgres,
        students: 10_000,
        seconds: 10,
        clients: vec![1, 16, 64],
        soak: 0,
        pool: 10,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        let mut took = true;
        match args[i].as_str() {
            "--db" => {
                options.backend = match value.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "mysql" => Backend::MySql,
                    _ => Backend::Postgres,
                }
            }
            "--students" => options.students = value.parse().expect("--students N"),
            "--seconds" => options.seconds = value.parse().expect("--seconds N"),
            "--clients" => {
                options.clients = value
                    .split(',')
                    .map(|c| c.trim().parse().expect("--clients 1,16,64"))
                    .collect()
            }
            "--soak" => options.soak = value.parse().expect("--soak SECONDS"),
            "--pool" => options.pool = value.parse().expect("--pool N"),
            _ => took = false,
        }
        i += if took { 2 } else { 1 };
    }
    options
}

/// What one request got and how long it took.
#[derive(Default)]
struct Samples {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    statuses: BTreeMap<u16, u64>,
    /// 303s per student id.
    saves: HashMap<i64, u64>,
}

impl Samples {
    fn record(&mut self, kind: &'static str, took: Duration, status: StatusCode) {
        self.latencies.entry(kind).or_default().push(took);
        *self.statuses.entry(status.as_u16()).or_default() += 1;
    }

    fn merge(&mut self, other: Samples) {
        for (kind, mut times) in other.latencies {
            self.latencies.entry(kind).or_default().append(&mut times);
        }
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (id, n) in other.saves {
            *self.saves.entry(id).or_default() += n;
        }
    }

    fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
}

/// CPU seconds (user + system) a process has used.
fn cpu_seconds(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

/// CPU seconds of every process whose command is `name` (the database
/// server's backends).
fn cpu_of_all(name: &str) -> f64 {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
                .filter(|pid| {
                    std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|comm| comm.trim() == name)
                })
                .map(cpu_seconds)
                .sum()
        })
        .unwrap_or(0.0)
}

fn rss_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    EditSpread,
    PostOnly,
    EditHot,
    ReadList,
    ReadRecord,
}

impl Workload {
    const ALL: [Workload; 5] = [
        Workload::EditSpread,
        Workload::PostOnly,
        Workload::EditHot,
        Workload::ReadList,
        Workload::ReadRecord,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::EditSpread => "edit-spread",
            Workload::PostOnly => "post-only",
            Workload::EditHot => "edit-hot",
            Workload::ReadList => "read-list",
            Workload::ReadRecord => "read-record",
        }
    }
}

fn gpa(round: u64) -> &'static str {
    if round.is_multiple_of(2) {
        "2.50"
    } else {
        "3.50"
    }
}

/// Whether a `303` was a committed save (the flash says "saved"), not a
/// "no changes".
fn committed(page: &registrar::testing::Page) -> bool {
    page.status == StatusCode::SEE_OTHER
        && page.cookie("registrar_flash").as_deref() == Some("saved")
}

/// One virtual registrar running `workload` until `deadline`.
async fn client(
    browser: Browser,
    index: usize,
    workload: Workload,
    id: i64,
    hot: i64,
    deadline: Instant,
) -> Samples {
    let mut samples = Samples::default();
    let target = if workload == Workload::EditHot {
        hot
    } else {
        id
    };
    let path = format!("/students/{target}");
    let mut round = 0_u64;
    let mut post_only = None;
    while Instant::now() < deadline {
        round += 1;
        match workload {
            Workload::ReadList => {
                let started = Instant::now();
                let page = browser.get("/students").await;
                samples.record("GET list", started.elapsed(), page.status);
            }
            Workload::ReadRecord => {
                let started = Instant::now();
                let page = browser.get(&path).await;
                samples.record("GET record", started.elapsed(), page.status);
            }
            Workload::EditSpread | Workload::EditHot => {
                let started = Instant::now();
                let edit = browser.get(&format!("{path}/edit")).await;
                samples.record("GET edit", started.elapsed(), edit.status);
                if edit.status != StatusCode::OK {
                    continue;
                }
                let mut form = edit.form(&path);
                // Unique to this client and round: every save is a change.
                form.set("name", &format!("Client {index} round {round}"));
                let started = Instant::now();
                let page = form.submit(&browser).await;
                samples.record("POST edit", started.elapsed(), page.status);
                if committed(&page) {
                    *samples.saves.entry(target).or_default() += 1;
                }
            }
            Workload::PostOnly => {
                // The form is fetched once; every POST then carries the
                // version the previous save produced.
                let (form, version) = match post_only.take() {
                    Some(known) => known,
                    None => {
                        let edit = browser.get(&format!("{path}/edit")).await;
                        let form = edit.form(&path);
                        let version: i64 = form
                            .value("version")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(1);
                        (form, version)
                    }
                };
                let mut form: registrar::testing::Form = form;
                let next_gpa = if form.value("gpa") == Some(gpa(0)) {
                    gpa(1)
                } else {
                    gpa(0)
                };
                form.set("version", &version.to_string())
                    .set("gpa", next_gpa);
                let started = Instant::now();
                let page = form.submit(&browser).await;
                samples.record("POST edit", started.elapsed(), page.status);
                if committed(&page) {
                    *samples.saves.entry(target).or_default() += 1;
                    post_only = Some((form, version + 1));
                }
            }
        }
    }
    samples
}

/// The same edit transaction a POST runs, called directly.
async fn raw_ceiling(
    db: &DatabaseConnection,
    ids: &[i64],
    clients: usize,
    seconds: u64,
) -> (u64, f64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for &id in ids.iter().take(clients) {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut version = student::Entity::find_by_id(id)
                .one(&db)
                .await
                .ok()
                .flatten()
                .map_or(1, |s| s.version);
            let current = student::Entity::find_by_id(id)
                .one(&db)
                .await
                .ok()
                .flatten()
                .expect("student");
            let mut commits = 0_u64;
            let mut round = 0_u64;
            while Instant::now() < deadline {
                round += 1;
                let form = StudentForm {
                    name: current.name.clone(),
                    address: current.address.clone(),
                    gpa: gpa(round).to_owned(),
                };
                // An account the bench created: every write re-checks its writer.
                match protocol::edit(&db, id, version, &form, &Ok(None), "bench-0", None).await {
                    Ok(EditOutcome::Saved) => {
                        commits += 1;
                        version += 1;
                    }
                    Ok(EditOutcome::Unchanged) => {}
                    _ => {
                        version = student::Entity::find_by_id(id)
                            .one(&db)
                            .await
                            .ok()
                            .flatten()
                            .map_or(version, |s| s.version);
                    }
                }
            }
            commits
        }));
    }
    let mut commits = 0;
    for task in tasks {
        commits += task.await.unwrap_or(0);
    }
    (commits, commits as f64 / started.elapsed().as_secs_f64())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

struct Server {
    child: Child,
    base_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(url: &str, pool: u32) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--db-pool-size",
            &pool.to_string(),
        ])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the registrar binary starts");
    let server = Server {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
    };
    let probe = Browser::new(&server.base_url);
    for _ in 0..300 {
        if let Ok(page) = probe.try_get("/healthz").await
            && page.status == StatusCode::OK
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = options();
    let max_clients = options.clients.iter().copied().max().unwrap_or(1);
    let database = TestDatabase::create(options.backend)
        .await
        .expect("the database server");
    let db = registrar::startup::connect_and_migrate(&DatabaseSettings {
        db_pool_size: options.pool,
        ..DatabaseSettings::for_tests(database.url.clone())
    })
    .await
    .expect("connect and migrate");

    println!(
        "load benchmark on {}: {} students, {} s per run, clients {:?}, server pool {}, {} cores shared by database, server and load generator",
        options.backend.name(),
        options.students,
        options.seconds,
        options.clients,
        options.pool,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    registrar::students::demo::fill(&db, options.students, 1, false, |_| {})
        .await
        .expect("demo data");
    let password = NewPassword::parse(PASSWORD).expect("a valid password");
    let hash = password::hash(&password).await.expect("hashing");
    for i in 0..max_clients {
        let name = Username::parse(&format!("bench-{i}")).expect("a valid username");
        accounts::create(&db, &name, hash.clone())
            .await
            .expect("an account");
    }
    let ids: Vec<i64> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .order_by_asc(student::Column::Id)
        .limit(max_clients as u64 + 1)
        .into_tuple()
        .all(&db)
        .await
        .expect("ids");
    let hot = ids[max_clients];

    let server = start_server(&database.url, options.pool).await;
    let pid = server.child.id();
    let mut browsers = Vec::new();
    for i in 0..max_clients {
        let browser = Browser::new(&server.base_url);
        let answer = browser.sign_in(&format!("bench-{i}"), PASSWORD).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "sign-in of bench-{i}");
        browsers.push(browser);
    }

    let mut json = String::from("{\"runs\":[");
    let mut first = true;
    for &clients in &options.clients {
        let (raw_commits, raw_rate) = raw_ceiling(&db, &ids, clients, options.seconds).await;
        println!(
            "\n--- {clients} client(s) --- raw ceiling (edit transaction, no HTTP): {raw_rate:.0} commits/s ({raw_commits} commits)"
        );
        for workload in Workload::ALL {
            let before: HashMap<i64, i64> = versions(&db).await;
            let database_process = match options.backend {
                Backend::Postgres => "postgres",
                Backend::MySql => "mariadbd",
                Backend::Sqlite => "",
            };
            let cpu_before = (
                cpu_seconds(pid),
                cpu_of_all(database_process),
                cpu_seconds(std::process::id()),
            );
            let deadline = Instant::now() + Duration::from_secs(options.seconds);
            let started = Instant::now();
            let tasks: Vec<_> = (0..clients)
                .map(|i| {
                    tokio::spawn(client(
                        browsers[i].clone(),
                        i,
                        workload,
                        ids[i],
                        hot,
                        deadline,
                    ))
                })
                .collect();
            let mut samples = Samples::default();
            for task in tasks {
                samples.merge(task.await.expect("a client"));
            }
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = (
                cpu_seconds(pid) - cpu_before.0,
                cpu_of_all(database_process) - cpu_before.1,
                cpu_seconds(std::process::id()) - cpu_before.2,
            );
            let after = versions(&db).await;
            let mut lost = 0_i64;
            for (id, saves) in &samples.saves {
                let moved =
                    after.get(id).copied().unwrap_or(0) - before.get(id).copied().unwrap_or(0);
                lost += moved - *saves as i64;
            }
            let commits: u64 = samples.saves.values().sum();
            let rate = samples.requests() as f64 / elapsed;
            let commit_rate = commits as f64 / elapsed;
            let ratio = if raw_rate > 0.0 {
                commit_rate / raw_rate
            } else {
                0.0
            };
            let rss = rss_mib(pid, "VmRSS:");
            let peak = rss_mib(pid, "VmHWM:");
            print!(
                "{:<12} {:>8.0} req/s {:>7.0} commits/s",
                workload.name(),
                rate,
                commit_rate
            );
            if commits > 0 {
                print!(" ({:.2} of raw)", ratio);
            }
            println!(
                "  statuses {:?}  lost updates {lost}  server RSS {rss:.1} MiB (peak {peak:.1})",
                samples.statuses
            );
            println!(
                "    CPU of the {:.1} core-seconds: server {:.1} s, database {:.1} s, load generator {:.1} s",
                2.0 * elapsed,
                cpu.0,
                cpu.1,
                cpu.2
            );
            let mut kinds = String::new();
            for (kind, times) in &mut samples.latencies {
                times.sort();
                println!(
                    "    {kind:<11} p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  (n={})",
                    percentile(times, 0.5),
                    percentile(times, 0.9),
                    percentile(times, 0.99),
                    percentile(times, 1.0),
                    times.len()
                );
                let _ = write!(
                    kinds,
                    "{}\"{kind}\":{{\"p50\":{:.3},\"p90\":{:.3},\"p99\":{:.3},\"max\":{:.3},\"n\":{}}}",
                    if kinds.is_empty() { "" } else { "," },
                    percentile(times, 0.5),
                    percentile(times, 0.9),
                    percentile(times, 0.99),
                    percentile(times, 1.0),
                    times.len()
                );
            }
            let statuses: Vec<String> = samples
                .statuses
                .iter()
                .map(|(s, n)| format!("\"{s}\":{n}"))
                .collect();
            let _ = write!(
                json,
                "{}{{\"clients\":{clients},\"workload\":\"{}\",\"requests_per_s\":{rate:.1},\"commits_per_s\":{commit_rate:.1},\"raw_commits_per_s\":{raw_rate:.1},\"ratio_to_raw\":{ratio:.3},\"lost_updates\":{lost},\"server_rss_mib\":{rss:.1},\"server_peak_rss_mib\":{peak:.1},\"cpu_s\":{{\"server\":{:.2},\"database\":{:.2},\"load_generator\":{:.2}}},\"statuses\":{{{}}},\"latency_ms\":{{{kinds}}}}}",
                if first { "" } else { "," },
                workload.name(),
                cpu.0,
                cpu.1,
                cpu.2,
                statuses.join(",")
            );
            first = false;
        }
    }
    json.push(']');

    if options.soak > 0 {
        println!(
            "\n--- soak: edit-spread, 16 clients, {} s; server RSS every 10 s ---",
            options.soak
        );
        let deadline = Instant::now() + Duration::from_secs(options.soak);
        let clients = 16.min(max_clients);
        let tasks: Vec<_> = (0..clients)
            .map(|i| {
                tokio::spawn(client(
                    browsers[i].clone(),
                    i,
                    Workload::EditSpread,
                    ids[i],
                    hot,
                    deadline,
                ))
            })
            .collect();
        let readings = Arc::new(Mutex::new(Vec::new()));
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let rss = rss_mib(pid, "VmRSS:");
            println!(
                "  {:>4.0} s  RSS {rss:.1} MiB",
                deadline
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64()
            );
            readings.lock().expect("not poisoned").push(rss);
        }
        for task in tasks {
            let _ = task.await;
        }
        let readings = readings.lock().expect("not poisoned").clone();
        let _ = write!(json, ",\"soak_rss_mib\":{readings:?}");
    }
    json.push('}');
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let file = dir.join(format!(
        "load-{}.json",
        match options.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    ));
    std::fs::write(&file, json).expect("writing the results");
    println!("\nwritten to {}", file.display());
    drop(server);
}

async fn versions(db: &DatabaseConnection) -> HashMap<i64, i64> {
    student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .column(student::Column::Version)
        .order_by_asc(student::Column::Id)
        .limit(200)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await
        .expect("versions")
        .into_iter()
        .collect()
}
