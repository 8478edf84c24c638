//! Slow and silent clients (contract §11): they cannot hold the server. The
//! server runs as its own process with few descriptors, so that what it
//! holds can be read from `/proc`.

use std::time::{Duration, Instant};

use registrar::testing::Backend;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::process::ServerProcess;
use crate::raw::RawConnection;
use crate::spawn_app;

/// The server's descriptor limit, and how many half-sent requests go at it.
const OPEN_FILES: u64 = 256;
const SLOW_CLIENTS: usize = 600;
const HEADER_TIMEOUT_SECS: u64 = 2;
const IDLE_TIMEOUT_SECS: u64 = 3;

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// How long `/healthz` takes on a new connection (`None`: no answer in 20 s).
async fn health_time(base_url: &str) -> Option<Duration> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let start = Instant::now();
    let answer = client
        .get(format!("{base_url}/healthz"))
        .send()
        .await
        .ok()?;
    (answer.status() == 200).then(|| start.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_the_server() {
    let app = spawn_app!(Backend::Sqlite);
    let log = std::env::temp_dir().join(format!("registrar-slow-{}.log", std::process::id()));
    let header = HEADER_TIMEOUT_SECS.to_string();
    let idle = IDLE_TIMEOUT_SECS.to_string();
    let server = ServerProcess::start_limited(
        app.database_url(),
        Some(&log),
        Some(OPEN_FILES),
        &[
            ("REGISTRAR_HEADER_TIMEOUT_SECS", &header),
            ("REGISTRAR_IDLE_TIMEOUT_SECS", &idle),
            // Every client here is 127.0.0.1: the cap on all connections
            // is what is tried, not the one per address.
            ("REGISTRAR_MAX_CONNECTIONS_PER_CLIENT", "0"),
        ],
    )
    .await;
    let pid = server.pid();
    let address = server
        .base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let rss_before = proc_status_kib(pid, "VmRSS:");
    let fds_before = open_descriptors(pid);

    // An idle keep-alive connection is closed after the idle timeout, not before.
    let mut idle = RawConnection::open(address).await;
    idle.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(idle.read_answer().await.is_some());
    let idle_since = Instant::now();
    let idle_closed = idle
        .closed_within(Duration::from_secs(IDLE_TIMEOUT_SECS + 3))
        .await;
    let idle_for = idle_since.elapsed();

    // Half a request line each, and then silence.
    let mut slow = Vec::new();
    for _ in 0..SLOW_CLIENTS {
        let Ok(mut stream) = TcpStream::connect(address).await else {
            break;
        };
        let _ = stream.write_all(b"GET /students HT").await;
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fds_during = open_descriptors(pid);
    let rss_during = proc_status_kib(pid, "VmRSS:");
    let health_during = health_time(&server.base_url).await;

    // Every slow client is let go once the header timeout has passed.
    let wait = Duration::from_secs(HEADER_TIMEOUT_SECS * 4 + 5);
    let mut closed_by_server = 0;
    let deadline = Instant::now() + wait;
    for stream in &mut slow {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(left, tokio::io::AsyncReadExt::read(stream, &mut byte)).await
        {
            closed_by_server += 1;
        }
    }
    drop(slow);
    // Freed memory is handed back within a few seconds.
    let mut rss_after = proc_status_kib(pid, "VmRSS:");
    let deadline = Instant::now() + Duration::from_secs(12);
    while rss_after > rss_before + 2 * 1024 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        rss_after = proc_status_kib(pid, "VmRSS:");
    }
    let fds_after = open_descriptors(pid);
    let health_after = health_time(&server.base_url).await;
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);

    println!(
        "slow clients: {SLOW_CLIENTS} half-sent requests against {OPEN_FILES} descriptors; \
         /healthz during {health_during:?}, after {health_after:?}; descriptors {fds_before} → \
         {fds_during} → {fds_after}; RSS {rss_before} → {rss_during} → {rss_after} KiB; \
         {closed_by_server} closed by the server; the idle connection closed after {idle_for:?}"
    );
    let health_during = health_during.expect("/healthz answers while slow clients wait");
    assert!(
        health_during < Duration::from_secs(HEADER_TIMEOUT_SECS * 3),
        "/healthz took {health_during:?}"
    );
    assert!(health_after.is_some(), "/healthz answers afterwards");
    assert!(fds_during < OPEN_FILES as usize, "{fds_during} descriptors");
    assert!(
        fds_after <= fds_before + 8,
        "{fds_before} → {fds_after} descriptors"
    );
    assert_eq!(
        closed_by_server, SLOW_CLIENTS,
        "the server closed each slow client"
    );
    assert!(idle_closed, "the idle connection is closed");
    assert!(
        idle_for >= Duration::from_secs(IDLE_TIMEOUT_SECS) - Duration::from_millis(100),
        "the idle connection lived {idle_for:?}"
    );
    // Memory comes back: not above its peak, and near where it started
    // (the allocator keeps a little; 2 MiB was seen exceeded by 100 KiB).
    // The peak may be the start: mimalloc hands start-up's memory back
    // lazily, and was once seen to do so while the slow clients waited
    // (64,860 → 54,080 → 58,372 KiB).
    assert!(
        rss_after <= rss_before.max(rss_during) && rss_after <= rss_before + 4 * 1024,
        "RSS {rss_before} → {rss_during} → {rss_after} KiB"
    );
    assert!(
        logged.contains("connection limit reached"),
        "reaching the cap is logged"
    );
}
