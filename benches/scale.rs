//! Registrar at a university's scale: fills a fresh database per backend
//! with demo students (1,000,000 by default), then measures the list,
//! search, sort and export paths through real HTTP, and the spreadsheet
//! round-trip: preview and confirm of an update file (`--import-rows`,
//! 100,000 by default) with single saves going on meanwhile.
//! Prints a table and writes `target/bench/scale.json`.
//!
//! ```sh
//! cargo bench --bench scale                      # all three backends, 1 M
//! cargo bench --bench scale -- --backends postgres --students 200000
//! cargo bench --bench scale -- --search-only     # the search lines only
//! ```
//!
//! PostgreSQL and MySQL/MariaDB are found as the tests find them
//! (`REGISTRAR_TEST_POSTGRES_URL`, `REGISTRAR_TEST_MYSQL_URL`).

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use registrar::db::entities::student;
use registrar::students::demo;
use registrar::testing::{AppOptions, Backend, Browser, TestApp};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

struct Options {
    backends: Vec<Backend>,
    students: u64,
    samples: usize,
    import_rows: usize,
    /// Only the search lines: no other list line, export or round-trip.
    search_only: bool,
}

fn options() -> Options {
    let mut options = Options {
        backends: Backend::ALL.to_vec(),
        students: 1_000_000,
        samples: 40,
        import_rows: 100_000,
        search_only: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--backends" => {
                options.backends = common::backends(&value);
                i += 1;
            }
            "--students" => {
                options.students = value.parse().expect("--students N");
                i += 1;
            }
            "--samples" => {
                options.samples = value.parse().expect("--samples N");
                i += 1;
            }
            "--search-only" => {
                options.search_only = true;
                i += 1;
                continue;
            }
            "--import-rows" => {
                options.import_rows = value.parse().expect("--import-rows N");
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    options
}

/// p50 and p99 of `samples` timed GETs of `path`, after one warm-up.
async fn latency(browser: &Browser, path: &str, samples: usize) -> (f64, f64) {
    let warm = browser.get(path).await;
    assert_eq!(warm.status, 200, "{path}: {}", warm.status);
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let page = browser.get(path).await;
        times.push(started.elapsed());
        assert_eq!(page.status, 200, "{path}");
    }
    times.sort();
    let at =
        |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.50), at(0.99))
}

/// Runs `registrar export` against `url` (with `filter`, if any) writing to
/// a file, and returns its peak RSS in MiB (read from /proc while it runs)
/// and the bytes it wrote.
async fn export_peak(url: &str, filter: &str) -> (f64, u64) {
    let out = std::env::temp_dir().join(format!("registrar-export-{}.csv", std::process::id()));
    let mut args = vec![
        "export".to_owned(),
        "--output".to_owned(),
        out.display().to_string(),
    ];
    if !filter.is_empty() {
        args.push(filter.to_owned());
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(&args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("registrar export runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0_u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(hwm);
        }
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "registrar export failed");
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bytes = std::fs::metadata(&out).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(&out);
    (peak_kib as f64 / 1024.0, bytes)
}

/// The single saves each round-trip's confirm shares the machine with, in
/// order: 20 a second in an open loop (more than an office of registrars
/// sends; the targets are read here), none (the confirm alone), and one
/// client saving as fast as it is answered (the most it shares with).
const LOADS: [SaveLoad; 3] = [SaveLoad::Paced(20), SaveLoad::Quiet, SaveLoad::FlatOut];

struct Row {
    label: String,
    p50: f64,
    p99: f64,
}

async fn run(backend: Backend, options: &Options, json: &mut String) {
    let app_options = AppOptions::default();
    let Some(app) = TestApp::spawn_with(backend, app_options).await else {
        println!("{}: server unreachable, skipped", backend.name());
        return;
    };
    println!("\n== {} ==", backend.name());
    let started = Instant::now();
    let step = (options.students / 10).max(1);
    demo::fill(&app.db, options.students, 1, false, |done| {
        if done % step == 0 {
            eprint!(" {}k", done / 1000);
        }
    })
    .await
    .expect("demo data");
    let generation = started.elapsed();
    eprintln!();
    println!(
        "generated {} students in {:.1} s ({:.0} students/s)",
        options.students,
        generation.as_secs_f64(),
        options.students as f64 / generation.as_secs_f64()
    );

    let browser = app.signed_in_browser().await;
    let middle: i64 = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .order_by_asc(student::Column::SearchKey)
        .order_by_asc(student::Column::Id)
        .offset(options.students / 2)
        .limit(1)
        .into_tuple()
        .one(&app.db)
        .await
        .expect("query")
        .unwrap_or(1);
    let maple_50 = common::maple_page_end(&app.db).await;
    let deep_page = (options.students / 2 / 50).max(1);
    let queries = [
        ("list, page 1".to_owned(), "/students".to_owned()),
        (
            format!("list, page {deep_page} by number"),
            format!("/students?page={deep_page}"),
        ),
        (
            "list, middle page by cursor".to_owned(),
            format!("/students?after={middle}"),
        ),
        (
            "search, common (\"maple\")".to_owned(),
            "/students?q=maple".to_owned(),
        ),
        (
            "search, rare (\"yusuf wójcik\")".to_owned(),
            "/students?q=yusuf+w%C3%B3jcik".to_owned(),
        ),
        (
            "search, absent (\"zzqx\")".to_owned(),
            "/students?q=zzqx".to_owned(),
        ),
        (
            "search, common, sort -gpa".to_owned(),
            "/students?q=maple&sort=-gpa".to_owned(),
        ),
        (
            "search, common, sort -updated".to_owned(),
            "/students?q=maple&sort=-updated".to_owned(),
        ),
        (
            "search, common, page 2 by cursor".to_owned(),
            format!("/students?q=maple&after={maple_50}"),
        ),
        (
            "search, two words (\"MAPLE  st\")".to_owned(),
            "/students?q=MAPLE++st".to_owned(),
        ),
        (
            "search, rare, sort gpa".to_owned(),
            "/students?q=yusuf+w%C3%B3jcik&sort=gpa".to_owned(),
        ),
        (
            "sort -name, page 1".to_owned(),
            "/students?sort=-name".to_owned(),
        ),
        (
            "sort gpa, page 1".to_owned(),
            "/students?sort=gpa".to_owned(),
        ),
        (
            "sort -gpa, page 1".to_owned(),
            "/students?sort=-gpa".to_owned(),
        ),
        (
            "sort updated, page 1".to_owned(),
            "/students?sort=updated".to_owned(),
        ),
        (
            "sort -updated, page 1".to_owned(),
            "/students?sort=-updated".to_owned(),
        ),
        (
            "sort gpa, middle page by cursor".to_owned(),
            format!("/students?sort=gpa&after={middle}"),
        ),
    ];
    let mut rows = Vec::new();
    for (label, path) in queries {
        if options.search_only && !label.starts_with("search") {
            continue;
        }
        let (p50, p99) = latency(&browser, &path, options.samples).await;
        println!("{label:<40} p50 {p50:>8.2} ms   p99 {p99:>8.2} ms");
        rows.push(Row { label, p50, p99 });
    }
    let queries_json = rows
        .iter()
        .map(|r| {
            format!(
                "{{\"query\":\"{}\",\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
                r.label.replace('"', "'"),
                r.p50,
                r.p99
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    if options.search_only {
        let _ = write!(
            json,
            "{}{{\"backend\":\"{}\",\"students\":{},\"generation_s\":{:.2},\"queries\":[{queries_json}]}}",
            if json.len() > 1 { "," } else { "" },
            backend.name(),
            options.students,
            generation.as_secs_f64(),
        );
        return;
    }

    // The whole list as CSV through the same streaming code as
    // /students.csv, in a process of its own (`registrar export`) whose
    // peak RSS is read as it runs; a 1,000-row export gives the baseline.
    let small = export_peak(app.database_url(), "--q=zz").await;
    let started = Instant::now();
    let (peak, bytes) = export_peak(app.database_url(), "").await;
    let export_time = started.elapsed();
    let lines = options.students;
    println!(
        "export: {lines} rows, {:.1} MiB in {:.1} s; exporter peak RSS {:.1} MiB (a near-empty export: {:.1} MiB)",
        bytes as f64 / 1024.0 / 1024.0,
        export_time.as_secs_f64(),
        peak,
        small.0,
    );
    let baseline = small.0;
    let body_kib = bytes / 1024;

    // The round-trip: an update file of the first `import_rows` students
    // (every GPA changed), checked and stored as the upload does (the
    // preview), then confirmed as the job does, while single saves go on
    // through HTTP by each of [`LOADS`] in turn; RSS sampled throughout.
    let mut trips = Vec::new();
    for load in LOADS {
        let round = round_trip(&app, &browser, options.import_rows, load).await;
        println!(
            "round-trip preview: {} rows in {:.1} s ({:.0} rows/s); RSS {:.1} → peak {:.1} MiB",
            round.rows,
            round.preview.as_secs_f64(),
            round.rows as f64 / round.preview.as_secs_f64(),
            round.rss_before,
            round.preview_peak,
        );
        println!(
            "round-trip confirm, {}: {} written in {:.1} s ({:.0} rows/s); peak RSS {:.1} MiB; {} single saves meanwhile, p50 {:.1} ms, p99 {:.1} ms",
            load.label(),
            round.written,
            round.confirm.as_secs_f64(),
            round.written as f64 / round.confirm.as_secs_f64(),
            round.confirm_peak,
            round.saves,
            round.save_p50,
            round.save_p99,
        );
        trips.push(format!(
            "{{\"saves\":\"{}\",\"rows\":{},\"confirm_seconds\":{:.2},\"preview_seconds\":{:.2},\"preview_peak_rss_mib\":{:.1},\"confirm_peak_rss_mib\":{:.1},\"single_saves\":{},\"save_p99_ms\":{:.1}}}",
            load.label(),
            round.written,
            round.confirm.as_secs_f64(),
            round.preview.as_secs_f64(),
            round.preview_peak,
            round.confirm_peak,
            round.saves,
            round.save_p99,
        ));
    }

    let _ = write!(
        json,
        "{}{{\"backend\":\"{}\",\"students\":{},\"generation_s\":{:.2},\"queries\":[{}],\"export\":{{\"rows\":{lines},\"seconds\":{:.2},\"rss_small_export_mib\":{:.1},\"rss_peak_mib\":{:.1},\"body_mib\":{:.1}}},\"round_trips\":[{}]}}",
        if json.len() > 1 { "," } else { "" },
        backend.name(),
        options.students,
        generation.as_secs_f64(),
        queries_json,
        export_time.as_secs_f64(),
        baseline,
        peak,
        body_kib as f64 / 1024.0,
        trips.join(","),
    );
}

/// This process's resident memory now, in MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Samples RSS every 10 ms until `stop` is set; returns the highest.
fn sample_rss(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let mut peak = rss_mib();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss_mib());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        peak
    })
}

/// The single saves that go on while a confirm runs, each a GET of the
/// edit form and its POST (the POST is timed).
#[derive(Clone, Copy)]
enum SaveLoad {
    /// None: the confirm alone.
    Quiet,
    /// This many saves a second, each started at its time whether or not
    /// the one before has been answered (an open loop: a slow answer does
    /// not hold back the saves after it).
    Paced(u32),
    /// One client saving as fast as it is answered, one save after
    /// another: the most the confirm has to share the machine with.
    FlatOut,
}

impl SaveLoad {
    fn label(self) -> String {
        match self {
            SaveLoad::Quiet => "no saves".to_owned(),
            SaveLoad::Paced(rate) => format!("{rate} saves/s"),
            SaveLoad::FlatOut => "saves flat out".to_owned(),
        }
    }
}

/// Single saves of the students from `first` on (1,000 of them, in turn)
/// by `load` until `stop` is set; the POSTs' latencies in ms.
async fn single_saves(
    browser: Browser,
    load: SaveLoad,
    first: i64,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<f64> {
    use std::sync::atomic::Ordering;
    let stopped = || stop.load(Ordering::Relaxed);
    let mut latencies = Vec::new();
    match load {
        SaveLoad::Quiet => {}
        SaveLoad::FlatOut => {
            while !stopped() {
                latencies.extend(one_save(&browser, first).await);
            }
        }
        SaveLoad::Paced(rate) => {
            let started = tokio::time::Instant::now();
            let mut saves = tokio::task::JoinSet::new();
            let mut n = 0_u32;
            while !stopped() {
                tokio::time::sleep_until(started + Duration::from_secs(u64::from(n)) / rate).await;
                let browser = browser.clone();
                saves.spawn(async move { one_save(&browser, first).await });
                n += 1;
            }
            while let Some(save) = saves.join_next().await {
                latencies.extend(save.expect("a save"));
            }
        }
    }
    latencies
}

/// Saves made so far, over every round: the `n`th goes to student
/// `first + n % 1000` with a GPA other than its visit before.
static SAVES: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// The next save (see [`SAVES`]) through the student's edit form; the
/// POST's latency in ms (`None`: the form did not open).
async fn one_save(browser: &Browser, first: i64) -> Option<f64> {
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = format!("/students/{}", first + n % 1000);
    let form = browser.get(&format!("{path}/edit")).await;
    if form.status != axum::http::StatusCode::OK {
        return None;
    }
    let mut form = form.form(&path);
    form.set("gpa", if (n / 1000) % 2 == 0 { "2.22" } else { "2.23" });
    let started = Instant::now();
    let answer = form.submit(browser).await;
    assert!(
        answer.status.is_redirection() || answer.status == axum::http::StatusCode::CONFLICT,
        "a single save answered {}",
        answer.status
    );
    Some(started.elapsed().as_secs_f64() * 1000.0)
}

struct RoundTrip {
    rows: usize,
    written: u64,
    preview: Duration,
    confirm: Duration,
    rss_before: f64,
    preview_peak: f64,
    confirm_peak: f64,
    saves: usize,
    save_p50: f64,
    save_p99: f64,
}

async fn round_trip(app: &TestApp, browser: &Browser, rows: usize, load: SaveLoad) -> RoundTrip {
    use registrar::students::export::cell;
    use registrar::students::import::{check, job, store};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Each confirm leaves a row version behind per row written, which
        // autovacuum clears in a live database; this machine's server runs
        // with it off, so each round-trip starts from a vacuumed table, as
        // the first one does.
        app.db
            .execute_unprepared("VACUUM (ANALYZE) students, revisions, import_rows")
            .await
            .expect("vacuum");
    }
    let students = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .limit(rows as u64)
        .all(&app.db)
        .await
        .expect("students");
    let mut file = String::from("id,name,address,gpa,version\n");
    for s in &students {
        let gpa = if s.gpa_hundredths == 111 {
            "1.12"
        } else {
            "1.11"
        };
        let _ = writeln!(
            file,
            "{},{},{},{gpa},{}",
            s.id,
            cell(&s.name),
            cell(&s.address),
            s.version
        );
    }
    let bytes = file.into_bytes();
    drop(students);
    let rss_before = rss_mib();

    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_rss(Arc::clone(&stop));
    let started = Instant::now();
    let id = check::check_and_store(
        &app.db,
        registrar::testing::REGISTRAR,
        "bench.csv",
        bytes.into(),
    )
    .await
    .expect("checked");
    let counts = store::counts(&app.db, &id).await.expect("counts");
    let preview = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let preview_peak = sampler.await.expect("sampler");
    assert_eq!(
        counts.values().sum::<u64>(),
        rows as u64,
        "every row classified: {counts:?}"
    );

    // Single saves of students the file does not touch, for as long as
    // the confirm runs.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_rss(Arc::clone(&stop));
    let saver = tokio::spawn(single_saves(
        browser.clone(),
        load,
        rows as i64 + 1,
        Arc::clone(&stop),
    ));
    let import = store::get(&app.db, &id)
        .await
        .expect("query")
        .expect("import");
    let started = Instant::now();
    let lease = job::start(&app.db, &import, false).await.expect("started");
    job::run(app.db.clone(), id.clone(), lease).await;
    let confirm = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let confirm_peak = sampler.await.expect("sampler");
    let mut latencies = saver.await.expect("saver");
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let done = store::get(&app.db, &id)
        .await
        .expect("query")
        .expect("import");
    RoundTrip {
        rows,
        written: u64::try_from(done.written).unwrap_or(0),
        preview,
        confirm,
        rss_before,
        preview_peak,
        confirm_peak,
        saves: latencies.len(),
        save_p50: at(0.5),
        save_p99: at(0.99),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Keep the app's per-request log lines out of the figures.
    if std::env::var_os("RUST_LOG").is_none() {
        // SAFETY: set before any other thread starts reading the environment.
        unsafe { std::env::set_var("RUST_LOG", "warn") };
    }
    let options = options();
    println!(
        "scale benchmark: {} students per backend, {} samples per query, machine: {} cores",
        options.students,
        options.samples,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut json = String::from("[");
    for backend in options.backends.clone() {
        run(backend, &options, &mut json).await;
    }
    json.push(']');
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    std::fs::write(dir.join("scale.json"), json).expect("writing scale.json");
    println!("\nwritten to target/bench/scale.json");
}
