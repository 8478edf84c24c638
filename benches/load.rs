//! Load benchmark: the release server against one backend, driven by
//! virtual registrars through the real forms, beside the same edit
//! transaction run directly (no HTTP) as the raw ceiling.
//!
//! ```sh
//! cargo bench --bench load -- --db postgres
//! cargo bench --bench load -- --db sqlite --seconds 5 --clients 1,16
//! cargo bench --bench load -- --db postgres --soak 300   # RSS over 5 minutes
//! cargo bench --bench load -- --clients 16 --workloads post-only,read-list --pgbench
//! # two servers driven in turn, 3 rounds each, medians and ratios at the end:
//! cargo bench --bench load -- --clients 16 --rounds 3 \
//!     --server before=target/bench/registrar-before,metrics=off \
//!     --server one-worker=.,TOKIO_WORKER_THREADS=1
//! ```
//!
//! Prints a table per workload and client count and writes
//! `target/bench/load-<db>.json`. The server is started with
//! `--metrics-bind` (unless `--no-metrics`) and scraped before and after
//! each run, so that its own view (requests counted, its latency, database
//! statements per request and their time) is printed beside the client's.
//! `--pgbench` (PostgreSQL) also runs pgbench on the same database with the
//! statements a save sends (`benches/pgbench/`), at the same client count.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::accounts;
use registrar::auth::password;
use registrar::cluster::submission::Submission;
use registrar::config::DatabaseSettings;
use registrar::db::entities::student;
use registrar::domain::{NewPassword, Username, Version};
use registrar::students::form::StudentForm;
use registrar::students::protocol::{self, Act, Outcome};
use registrar::testing::{ApiClient, Backend, Browser, Scrape, TestDatabase};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};

const PASSWORD: &str = "a long benchmark password";

struct Options {
    backend: Backend,
    students: u64,
    seconds: u64,
    clients: Vec<usize>,
    soak: u64,
    pool: u32,
    /// The servers to compare, each driven in turn, round after round.
    servers: Vec<ServerSpec>,
    /// Rounds of each workload (each server once per round).
    rounds: usize,
    workloads: Vec<Workload>,
    /// Run pgbench's scripts beside each client count (PostgreSQL).
    pgbench: bool,
    /// Log every statement the database receives (PostgreSQL).
    trace_sql: bool,
}

fn options() -> Options {
    let mut options = Options {
        backend: Backend::Postgres,
        students: 10_000,
        seconds: 10,
        clients: vec![1, 16, 64],
        soak: 0,
        pool: 10,
        servers: Vec::new(),
        rounds: 1,
        workloads: Workload::ALL.to_vec(),
        pgbench: false,
        trace_sql: false,
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
            "--server" => options.servers.push(ServerSpec::parse(&value)),
            "--rounds" => options.rounds = value.parse().expect("--rounds N"),
            "--workloads" => {
                options.workloads = value
                    .split(',')
                    .map(|w| {
                        Workload::ALL
                            .into_iter()
                            .find(|known| known.name() == w.trim())
                            .unwrap_or_else(|| panic!("--workloads: no workload {w}"))
                    })
                    .collect()
            }
            "--pgbench" => {
                options.pgbench = true;
                took = false;
            }
            "--trace-sql" => {
                options.trace_sql = true;
                took = false;
            }
            _ => took = false,
        }
        i += if took { 2 } else { 1 };
    }
    if options.servers.is_empty() {
        options.servers.push(ServerSpec::parse(""));
    }
    options
}

/// `--server LABEL=PATH,KEY=VALUE,…`: a binary (default: this build's),
/// `metrics=off` to start it without `--metrics-bind`, `pool=N`, and any
/// other `KEY=VALUE` as its environment (`TOKIO_WORKER_THREADS=1`).
#[derive(Clone, Debug)]
struct ServerSpec {
    label: String,
    path: String,
    metrics: bool,
    pool: Option<u32>,
    env: Vec<(String, String)>,
}

impl ServerSpec {
    fn parse(spec: &str) -> ServerSpec {
        let mut parts = spec.split(',').filter(|p| !p.is_empty());
        let (label, path) = match parts.next() {
            Some(first) => match first.split_once('=') {
                Some((label, path)) => (label.to_owned(), path.to_owned()),
                None => (first.to_owned(), first.to_owned()),
            },
            None => ("this build".to_owned(), String::new()),
        };
        let mut server = ServerSpec {
            label,
            path: if path.is_empty() || path == "." {
                env!("CARGO_BIN_EXE_registrar").to_owned()
            } else {
                path
            },
            metrics: true,
            pool: None,
            env: Vec::new(),
        };
        for part in parts {
            let (key, value) = part.split_once('=').expect("--server …,KEY=VALUE");
            match key {
                "metrics" => server.metrics = value != "off",
                "pool" => server.pool = Some(value.parse().expect("pool=N")),
                _ => server.env.push((key.to_owned(), value.to_owned())),
            }
        }
        server
    }
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
    SearchList,
    ReadRecord,
    /// The API's save: `PATCH` with `If-Match`, the version carried from
    /// the answer before (as post-only carries the form's).
    ApiPatch,
}

impl Workload {
    const ALL: [Workload; 7] = [
        Workload::EditSpread,
        Workload::PostOnly,
        Workload::EditHot,
        Workload::ReadList,
        Workload::SearchList,
        Workload::ReadRecord,
        Workload::ApiPatch,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::EditSpread => "edit-spread",
            Workload::PostOnly => "post-only",
            Workload::EditHot => "edit-hot",
            Workload::ReadList => "read-list",
            Workload::SearchList => "search-list",
            Workload::ReadRecord => "read-record",
            Workload::ApiPatch => "api-patch",
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
    (browser, api): (Browser, ApiClient),
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
    let mut api_version = None;
    while Instant::now() < deadline {
        round += 1;
        match workload {
            Workload::ApiPatch => {
                let path = format!("/api/v1{path}");
                let version = match api_version.take() {
                    Some(version) => version,
                    None => {
                        let read = api.get(&path).await;
                        read.etag_version().unwrap_or(1)
                    }
                };
                let patch = serde_json::json!({"gpa": gpa(round)});
                let started = Instant::now();
                let answer = api.patch(&path, version, &patch).await;
                samples.record("PATCH api", started.elapsed(), answer.status);
                if answer.status == StatusCode::OK {
                    let written = answer.etag_version();
                    if written == Some(version + 1) {
                        *samples.saves.entry(target).or_default() += 1;
                    }
                    api_version = written;
                }
            }
            Workload::ReadList => {
                let started = Instant::now();
                let page = browser.get("/students").await;
                samples.record("GET list", started.elapsed(), page.status);
            }
            Workload::SearchList => {
                // One word, which every release reads alike (a substring
                // of the name or address), common among demo students.
                let started = Instant::now();
                let page = browser.get("/students?q=lee").await;
                samples.record("GET search", started.elapsed(), page.status);
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
                // Each POST is a form of its own, as a browser's would be:
                // its own submission id (the same id sent again with the
                // same values would be answered as the save it already was).
                form.set("version", &version.to_string())
                    .set("gpa", next_gpa)
                    .set("submission", Submission::new().as_str());
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
                    student_number: current.student_number.clone().unwrap_or_default(),
                    confidential: String::new(),
                };
                // An account the bench created: every write re-checks its writer.
                let command = protocol::Command {
                    writer: "bench-0",
                    act: Act::Edit {
                        id,
                        seen: Version::new(version),
                        values: &form,
                    },
                    reason: None,
                    submission: None,
                    receipt: None,
                };
                match protocol::run(&db, &command).await {
                    Ok(Outcome::Written { .. }) => {
                        commits += 1;
                        version += 1;
                    }
                    Ok(Outcome::Unchanged { .. }) => {}
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
    metrics_url: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(url: &str, spec: &ServerSpec, pool: u32) -> Server {
    let port = free_port();
    let mut command = Command::new(&spec.path);
    command.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--db-pool-size",
        &spec.pool.unwrap_or(pool).to_string(),
    ]);
    let metrics_url = spec.metrics.then(|| {
        let port = free_port();
        command.args(["--metrics-bind", &format!("127.0.0.1:{port}")]);
        format!("http://127.0.0.1:{port}")
    });
    // Every virtual client is 127.0.0.1: no cap per client address
    // (an environment variable, so that older builds ignore it).
    command
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env("REGISTRAR_MAX_CONNECTIONS_PER_CLIENT", "0");
    for (name, value) in &spec.env {
        command.env(name, value);
    }
    // Its log goes to a file, as a deployment's would (`RUST_LOG=info` via
    // `--server-env` measures the line per request).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let log = std::fs::File::create(dir.join(format!("server-{port}.log")))
        .expect("target/bench/server-PORT.log");
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the registrar binary starts");
    let server = Server {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        metrics_url,
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
    let db = registrar::db::connect_and_migrate(&DatabaseSettings {
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
    // Each client's API token (the api-patch workload).
    let mut tokens = Vec::new();
    for i in 0..max_clients {
        let username = format!("bench-{i}");
        let request = registrar::api_tokens::cli::TokenRequest {
            username: &username,
            name: "bench",
            role: None,
            expires_days: None,
            max_days: 365,
        };
        let issued = registrar::api_tokens::cli::add(&db, request)
            .await
            .expect("an API token");
        tokens.push(issued.token);
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

    if options.trace_sql && options.backend == Backend::Postgres {
        let name = database.url.rsplit('/').next().unwrap_or_default();
        sea_orm::ConnectionTrait::execute_unprepared(
            &db,
            &format!("ALTER DATABASE \"{name}\" SET log_statement = 'all'"),
        )
        .await
        .expect("log_statement");
        println!("every statement on {name} goes to the PostgreSQL log");
    }
    let mut contestants = Vec::new();
    for spec in &options.servers {
        let server = start_server(&database.url, spec, options.pool).await;
        println!("server \"{}\": {spec:?}", spec.label);
        let mut browsers = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let browser = Browser::new(&server.base_url);
            let answer = browser.sign_in(&format!("bench-{i}"), PASSWORD).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "sign-in of bench-{i}");
            browsers.push((browser, ApiClient::new(&server.base_url, Some(token))));
        }
        contestants.push((spec.label.clone(), server, browsers));
    }
    // (clients, workload, server) → (requests/s, commits/s, server CPU µs per request)
    let mut results: Vec<(usize, &'static str, String, f64, f64, f64)> = Vec::new();

    let mut json = String::from("{\"runs\":[");
    let mut first = true;
    for &clients in &options.clients {
        let (raw_commits, raw_rate) = raw_ceiling(&db, &ids, clients, options.seconds).await;
        println!(
            "\n--- {clients} client(s) --- raw ceiling (edit transaction, no HTTP): {raw_rate:.0} commits/s ({raw_commits} commits)"
        );
        let mut peers = String::new();
        if options.pgbench && options.backend == Backend::Postgres {
            for script in PGBENCH_SCRIPTS {
                let session = pgbench_session(&db).await;
                let tps = pgbench(
                    &database.url,
                    script,
                    &session,
                    &ids,
                    clients,
                    options.seconds,
                );
                println!("    pgbench {:<28} {tps:>7.0} tps", script.0);
                let _ = write!(peers, ",\"pgbench_{}\":{tps:.1}", script.0);
            }
        }
        for (workload, round, (label, server, browsers)) in options
            .workloads
            .iter()
            .flat_map(|&w| (0..options.rounds).map(move |r| (w, r)))
            // Each round starts with the next server, so that a load that
            // drifts during a round does not always favour the same one.
            .flat_map(|(w, r)| {
                let all = &contestants;
                (0..all.len()).map(move |k| (w, r, &all[(k + r) % all.len()]))
            })
        {
            let pid = server.child.id();
            if contestants.len() > 1 || options.rounds > 1 {
                println!("[{label}, round {}]", round + 1);
            }
            let before: HashMap<i64, i64> = versions(&db).await;
            let database_process = match options.backend {
                Backend::Postgres => "postgres",
                Backend::MySql => "mariadbd",
                Backend::Sqlite => "",
            };
            let scraped_before = scrape(server).await;
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
            let scraped_after = scrape(server).await;
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
            let per = |seconds: f64, n: u64| {
                if n == 0 {
                    0.0
                } else {
                    seconds * 1e6 / n as f64
                }
            };
            let requests = samples.requests();
            results.push((
                clients,
                workload.name(),
                label.clone(),
                rate,
                commit_rate,
                per(cpu.0, requests),
            ));
            println!(
                "    CPU per request: server {:.0} µs, database {:.0} µs; per commit: server {:.0} µs, database {:.0} µs",
                per(cpu.0, requests),
                per(cpu.1, requests),
                per(cpu.0, commits),
                per(cpu.1, commits),
            );
            let server_view = match (&scraped_before, &scraped_after) {
                (Some(before), Some(after)) => server_view(before, after),
                _ => String::new(),
            };
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
                "{}{{\"clients\":{clients},\"server\":\"{label}\",\"round\":{round},\"workload\":\"{}\"{peers}{server_view},\"cpu_us_per_request\":{{\"server\":{:.1},\"database\":{:.1}}},\"requests_per_s\":{rate:.1},\"commits_per_s\":{commit_rate:.1},\"raw_commits_per_s\":{raw_rate:.1},\"ratio_to_raw\":{ratio:.3},\"lost_updates\":{lost},\"server_rss_mib\":{rss:.1},\"server_peak_rss_mib\":{peak:.1},\"cpu_s\":{{\"server\":{:.2},\"database\":{:.2},\"load_generator\":{:.2}}},\"statuses\":{{{}}},\"latency_ms\":{{{kinds}}}}}",
                if first { "" } else { "," },
                workload.name(),
                per(cpu.0, requests),
                per(cpu.1, requests),
                cpu.0,
                cpu.1,
                cpu.2,
                statuses.join(",")
            );
            first = false;
        }
    }
    json.push(']');
    summarise(
        &results,
        &contestants.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
    );

    if options.soak > 0 {
        let (_, server, browsers) = &contestants[0];
        let pid = server.child.id();
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
    drop(contestants);
}

/// With several servers or rounds: each server's median per workload, and
/// its ratio to the first server's, all from the same run.
fn summarise(results: &[(usize, &'static str, String, f64, f64, f64)], labels: &[String]) {
    let rounds = results.len() / labels.len().max(1);
    if labels.len() < 2 && rounds < 2 {
        return;
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    println!(
        "\n--- medians over the rounds (ratio to \"{}\") ---",
        labels[0]
    );
    let mut keys: Vec<(usize, &str)> = results.iter().map(|r| (r.0, r.1)).collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    for (clients, workload) in keys {
        let mut first: Option<(f64, f64, f64)> = None;
        for label in labels {
            let mine: Vec<_> = results
                .iter()
                .filter(|r| r.0 == clients && r.1 == workload && &r.2 == label)
                .collect();
            let rate = median(mine.iter().map(|r| r.3).collect());
            let commits = median(mine.iter().map(|r| r.4).collect());
            let cpu = median(mine.iter().map(|r| r.5).collect());
            let base = *first.get_or_insert((rate, commits, cpu));
            println!(
                "{clients:>3} {workload:<12} {label:<24} {rate:>7.0} req/s ({:.2}) {commits:>7.0} commits/s ({:.2})  server CPU {cpu:>5.0} µs/request ({:.2})",
                rate / base.0.max(1e-9),
                commits / base.1.max(1e-9),
                cpu / base.2.max(1e-9),
            );
        }
    }
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

/// `/metrics` of the server, when it serves it.
async fn scrape(server: &Server) -> Option<Scrape> {
    let url = server.metrics_url.as_deref()?;
    let page = Browser::new(url).try_get("/metrics").await.ok()?;
    (page.status == StatusCode::OK).then(|| Scrape::new(page.body))
}

/// What the server counted between two scrapes, printed; returned as JSON
/// fields (each starting with a comma).
fn server_view(before: &Scrape, after: &Scrape) -> String {
    use registrar::metrics::{POOL_CONNECTIONS, REQUEST_SECONDS, REQUESTS, STATEMENT_SECONDS};
    let delta = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let requests = delta(REQUESTS, &[]);
    let statements = delta(&format!("{STATEMENT_SECONDS}_count"), &[]);
    let statement_ms = delta(&format!("{STATEMENT_SECONDS}_sum"), &[]) * 1000.0;
    let mut json = format!(
        ",\"server\":{{\"requests\":{requests},\"statements_per_request\":{:.2},\"statement_mean_ms\":{:.3}",
        statements / requests.max(1.0),
        statement_ms / statements.max(1.0),
    );
    println!(
        "    server's view: {requests:.0} requests, {:.2} statements each, mean statement {:.3} ms (as the server waits for it, pool wait included); pool in use at the end {:.0}",
        statements / requests.max(1.0),
        statement_ms / statements.max(1.0),
        after.value(POOL_CONNECTIONS, &[("state", "in_use")]),
    );
    for (method, route) in [
        ("POST", "/students/{id}"),
        ("GET", "/students/{id}/edit"),
        ("GET", "/students"),
        ("GET", "/students/{id}"),
    ] {
        let labels = [("method", method), ("route", route)];
        let count = delta(&format!("{REQUEST_SECONDS}_count"), &labels);
        if count < 1.0 {
            continue;
        }
        let mean = delta(&format!("{REQUEST_SECONDS}_sum"), &labels) / count * 1000.0;
        let buckets: Vec<(f64, f64)> = after
            .samples()
            .into_iter()
            .filter(|s| {
                s.name == format!("{REQUEST_SECONDS}_bucket")
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v))
            })
            .filter_map(|s| {
                let le = s.labels.iter().find(|(k, _)| k == "le")?.1.clone();
                let le: f64 = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                let mut wanted: Vec<(&str, &str)> = labels.to_vec();
                let le_text = s.labels.iter().find(|(k, _)| k == "le")?.1.clone();
                wanted.push(("le", &le_text));
                let was = before.value(&s.name, &wanted);
                Some((le, s.value - was))
            })
            .collect();
        let p99 = bucket_quantile(buckets, 0.99) * 1000.0;
        println!(
            "    server's {method} {route}: n={count:.0}, mean {mean:.2} ms, p99 ≤ {p99:.1} ms (bucket bound)"
        );
        let _ = write!(
            json,
            ",\"{method} {route}\":{{\"n\":{count},\"mean_ms\":{mean:.3},\"p99_bucket_ms\":{p99:.1}}}"
        );
    }
    json.push('}');
    json
}

/// The upper bound of the bucket holding quantile `q` (cumulative counts).
fn bucket_quantile(mut buckets: Vec<(f64, f64)>, q: f64) -> f64 {
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last().map_or(0.0, |b| b.1);
    buckets
        .iter()
        .find(|(_, count)| *count >= q * total)
        .map_or(0.0, |(le, _)| *le)
}

/// pgbench's scripts (`benches/pgbench/NAME.sql`): the bare edit
/// transaction (issue 31's yardstick), the edit transaction with the
/// writer's re-check, and the statements of a save as registrar sends
/// them, before and since issue 31's folds.
const PGBENCH_SCRIPTS: [(&str, &str); 4] = [
    ("bare-edit", include_str!("pgbench/bare-edit.sql")),
    (
        "edit-transaction",
        include_str!("pgbench/edit-transaction.sql"),
    ),
    ("save-before-31", include_str!("pgbench/save-before-31.sql")),
    ("save-as-sent", include_str!("pgbench/save-as-sent.sql")),
];

/// What pgbench's scripts need: a live session of `bench-0` and its
/// account (`-D` variables).
struct PgbenchSession {
    token: String,
    registrar_id: i64,
}

async fn pgbench_session(db: &DatabaseConnection) -> PgbenchSession {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT s.token_hash, r.id FROM sessions s JOIN registrars r ON r.id = s.registrar_id \
             WHERE r.username_key = 'bench-0' LIMIT 1",
        ))
        .await
        .expect("a session of bench-0")
        .expect("bench-0 signed in");
    PgbenchSession {
        token: row.try_get_by_index(0).expect("token_hash"),
        registrar_id: row.try_get_by_index(1).expect("id"),
    }
}

/// Runs one pgbench script with `clients` clients (each on its own
/// student, `:client_id` from the first of `ids`) for `seconds`; its tps.
fn pgbench(
    url: &str,
    script: (&str, &str),
    session: &PgbenchSession,
    ids: &[i64],
    clients: usize,
    seconds: u64,
) -> f64 {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let file = dir.join(format!("pgbench-{}.sql", script.0));
    std::fs::write(&file, script.1).expect("writing the script");
    let output = Command::new("pgbench")
        .args([
            "-n",
            // Named statements, prepared once per connection, as sqlx does.
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            "1",
            "-T",
            &seconds.to_string(),
            "-D",
            &format!("first={}", ids[0]),
            "-D",
            &format!("token={}", session.token),
            "-D",
            "username=bench-0",
            "-D",
            &format!("registrar_id={}", session.registrar_id),
            "-f",
        ])
        .arg(&file)
        .arg(url)
        .output()
        .expect("pgbench runs");
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprintln!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}
