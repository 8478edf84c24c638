//! Search at a university's scale, build against build: fills a fresh
//! database per backend with demo students (1,000,000 by default) once,
//! then serves it with each `--server` build in turn, alternating them
//! round after round, and times every search line of contract §16 through
//! real HTTP. Prints p50 / p99 in milliseconds per build, and the ratio of
//! each build's p99 to the first's, all from one run.
//!
//! ```sh
//! cargo bench --bench search -- --server before=/path/to/old/registrar --server after=.
//! cargo bench --bench search -- --backends mysql --students 200000 --rounds 3
//! ```
//!
//! A build given as `.` (or the default, with no `--server`) is this one.
//! The database is migrated by this build: an older build must know the
//! same migrations (build it with this tree's `migrations/`).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use registrar::students::demo;
use registrar::testing::{AppOptions, Backend, Browser, PASSWORD, REGISTRAR, TestApp};

struct Build {
    label: String,
    path: String,
}

struct Options {
    backends: Vec<Backend>,
    students: u64,
    samples: usize,
    rounds: usize,
    builds: Vec<Build>,
}

fn options() -> Options {
    let mut options = Options {
        backends: Backend::ALL.to_vec(),
        students: 1_000_000,
        samples: 40,
        rounds: 2,
        builds: Vec::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--backends" => {
                options.backends = common::backends(&value);
            }
            "--students" => options.students = value.parse().expect("--students N"),
            "--samples" => options.samples = value.parse().expect("--samples N"),
            "--rounds" => options.rounds = value.parse().expect("--rounds N"),
            "--server" => {
                let (label, path) = value.split_once('=').unwrap_or(("this build", "."));
                let path = match path {
                    "" | "." => env!("CARGO_BIN_EXE_registrar").to_owned(),
                    path => path.to_owned(),
                };
                options.builds.push(Build {
                    label: label.to_owned(),
                    path,
                });
            }
            _ => {}
        }
    }
    if options.builds.is_empty() {
        options.builds.push(Build {
            label: "this build".to_owned(),
            path: env!("CARGO_BIN_EXE_registrar").to_owned(),
        });
    }
    options
}

/// A build serving the benchmark's database, stopped when dropped.
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

async fn serve(build: &Build, database_url: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&build.path)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("REGISTRAR_MAX_CONNECTIONS_PER_CLIENT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} starts: {e}", build.path));
    let server = Server {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(answer) = reqwest::get(format!("{}/login", server.base_url)).await
            && answer.status().is_success()
        {
            return server;
        }
        assert!(Instant::now() < deadline, "{} answers", build.label);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The list and search lines (contract §16): label and path.
async fn lines(app: &TestApp) -> Vec<(&'static str, String)> {
    let maple_50 = common::maple_page_end(&app.db).await;
    let list_50 = common::page_end(&app.db, None).await;
    vec![
        ("list, first page", "/students".to_owned()),
        ("list, sort -gpa", "/students?sort=-gpa".to_owned()),
        (
            "list, page 2 by cursor",
            format!("/students?after={list_50}"),
        ),
        ("list, page 200 by number", "/students?page=200".to_owned()),
        ("common (\"maple\")", "/students?q=maple".to_owned()),
        (
            "rare (\"yusuf wójcik\")",
            "/students?q=yusuf+w%C3%B3jcik".to_owned(),
        ),
        ("absent (\"zzqx\")", "/students?q=zzqx".to_owned()),
        (
            "common, sort -gpa",
            "/students?q=maple&sort=-gpa".to_owned(),
        ),
        (
            "common, sort -updated",
            "/students?q=maple&sort=-updated".to_owned(),
        ),
        (
            "common, page 2 by cursor",
            format!("/students?q=maple&after={maple_50}"),
        ),
        (
            "two words (\"MAPLE  st\")",
            "/students?q=MAPLE++st".to_owned(),
        ),
        (
            "rare, sort gpa",
            "/students?q=yusuf+w%C3%B3jcik&sort=gpa".to_owned(),
        ),
    ]
}

fn percentile(times: &mut [Duration], q: f64) -> f64 {
    times.sort();
    times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
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
    println!(
        "{} students in {:.0} s",
        options.students,
        started.elapsed().as_secs_f64()
    );
    let lines = lines(&app).await;
    let per_round = (options.samples / options.rounds).max(1);
    // times[build][line]
    let mut times = vec![vec![Vec::new(); lines.len()]; options.builds.len()];
    for round in 0..options.rounds {
        for (b, build) in options.builds.iter().enumerate() {
            let server = serve(build, app.database_url()).await;
            let browser = Browser::new(&server.base_url);
            browser
                .sign_in(REGISTRAR, PASSWORD)
                .await
                .assert_status(axum::http::StatusCode::SEE_OTHER);
            for (l, (label, path)) in lines.iter().enumerate() {
                let warm = browser.get(path).await;
                assert_eq!(warm.status, 200, "{} {label}", build.label);
                for _ in 0..per_round {
                    let at = Instant::now();
                    let page = browser.get(path).await;
                    times[b][l].push(at.elapsed());
                    assert_eq!(page.status, 200, "{} {label}", build.label);
                }
            }
            eprintln!(
                "round {} of {}: {} done",
                round + 1,
                options.rounds,
                build.label
            );
        }
    }
    print!("{:<28}", "line (p50 / p99 ms)");
    for build in &options.builds {
        print!(" {:>20}", build.label);
    }
    if options.builds.len() > 1 {
        print!(" {:>12}", "p99 ratio");
    }
    println!();
    for (l, (label, _)) in lines.iter().enumerate() {
        print!("{label:<28}");
        let mut p99s = Vec::new();
        for build_times in &mut times {
            let p50 = percentile(&mut build_times[l], 0.50);
            let p99 = percentile(&mut build_times[l], 0.99);
            p99s.push(p99);
            print!(" {:>20}", format!("{p50:.1} / {p99:.1}"));
        }
        if let (Some(first), Some(last)) = (p99s.first(), p99s.last())
            && p99s.len() > 1
        {
            print!(" {:>12}", format!("{:.2}", last / first));
        }
        println!();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var_os("RUST_LOG").is_none() {
        // SAFETY: set before any other thread starts reading the environment.
        unsafe { std::env::set_var("RUST_LOG", "warn") };
    }
    let options = options();
    println!(
        "search benchmark: {} students per backend, {} samples per line and build, {} rounds, \
         machine: {} cores",
        options.students,
        options.samples,
        options.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for backend in options.backends.clone() {
        run(backend, &options).await;
    }
}
