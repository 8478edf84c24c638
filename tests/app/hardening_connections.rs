//! No client can hold every connection (contract §11): at the cap the
//! longest-idle keep-alive connection gives way to a newcomer, and one
//! client address holds at most its share. Raw sockets against the server
//! as a process of its own; clients of different addresses come from
//! different addresses of the loopback range.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::testing::Backend;

use crate::process::ServerProcess;
use crate::raw::RawConnection;
use crate::spawn_app;

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

fn address(server: &ServerProcess) -> SocketAddr {
    server
        .base_url
        .trim_start_matches("http://")
        .parse()
        .expect("an address")
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// Opens `count` keep-alive connections from `from`, each answered once
/// (so each is then idle), oldest first.
async fn idle_connections(address: SocketAddr, from: IpAddr, count: usize) -> Vec<RawConnection> {
    let mut open = Vec::with_capacity(count);
    for _ in 0..count {
        let mut connection = RawConnection::open_from(from, address).await;
        connection.send(HEALTH).await;
        let answer = connection.read_answer().await.expect("an answer");
        assert_eq!(answer.status, StatusCode::OK);
        open.push(connection);
    }
    open
}

/// How long a new client from `from` waits for `/healthz` (`None`: no
/// answer in 20 s).
async fn newcomer(address: SocketAddr, from: IpAddr) -> Option<Duration> {
    let started = Instant::now();
    let mut connection = RawConnection::open_from(from, address).await;
    connection.send(HEALTH).await;
    let answered = tokio::time::timeout(Duration::from_secs(20), connection.read_answer()).await;
    match answered {
        Ok(Some(answer)) if answer.status == StatusCode::OK => Some(started.elapsed()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_longest_idle_connection_gives_way() {
    const CAP: usize = 200;
    let app = spawn_app!(Backend::Sqlite);
    let cap = CAP.to_string();
    let server = ServerProcess::start_limited(
        app.database_url(),
        None,
        None,
        &[
            ("REGISTRAR_MAX_CONNECTIONS", &cap),
            ("REGISTRAR_MAX_CONNECTIONS_PER_CLIENT", "0"),
        ],
    )
    .await;
    let address = address(&server);
    // A request whose head is still arriving, older than any idle
    // connection: it must not be the one to give way.
    let mut busy = RawConnection::open_from(loopback(9), address).await;
    busy.send(b"GET /healthz HTTP/1.1\r\n").await;
    // One client holds every other slot with keep-alive connections it
    // keeps using now and then (the oldest one just before the newcomer).
    let mut held = idle_connections(address, loopback(2), CAP - 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    held[0].send(HEALTH).await;
    assert!(held[0].read_answer().await.is_some());

    let waited = newcomer(address, loopback(3)).await;
    println!("a newcomer at the cap of {CAP} held connections: answered after {waited:?}");
    let waited = waited.expect("the newcomer is served");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");

    // The connection idle longest gave way (the second opened: the first
    // was used again); the one used last did not.
    assert!(held[1].closed_within(Duration::from_secs(2)).await);
    held[0].send(HEALTH).await;
    assert!(
        held[0].read_answer().await.is_some(),
        "the one just used stays"
    );
    let last = held.last_mut().expect("held");
    last.send(HEALTH).await;
    assert!(last.read_answer().await.is_some());

    // More newcomers, each kept open, so each takes a slot someone idle
    // gave up; the request still arriving is not cut short: it is answered
    // without `Connection: close`, and its connection serves another.
    let mut newcomers = Vec::new();
    for from in 4..8 {
        newcomers.extend(idle_connections(address, loopback(from), 1).await);
    }
    busy.send(b"Host: x\r\n\r\n").await;
    let answer = busy.read_answer().await.expect("the request is answered");
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        !answer.says_close(),
        "the busy connection was not told to go"
    );
    busy.send(HEALTH).await;
    assert!(busy.read_answer().await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_address_cannot_take_every_connection() {
    let app = spawn_app!(Backend::Sqlite);
    let server = ServerProcess::start_limited(
        app.database_url(),
        None,
        None,
        &[("REGISTRAR_MAX_CONNECTIONS_PER_CLIENT", "4")],
    )
    .await;
    let at = address(&server);
    let mut first = idle_connections(at, loopback(2), 4).await;

    // Its fifth is closed at once, unanswered; another address is served.
    let mut fifth = RawConnection::open_from(loopback(2), at).await;
    fifth.try_send(HEALTH).await;
    assert!(fifth.read_answer().await.is_none());
    assert!(newcomer(at, loopback(3)).await.is_some());
    // Its share comes back as its connections close.
    drop(first.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(newcomer(at, loopback(2)).await.is_some());
    drop(first);

    // The default (64) holds without the flag; behind a proxy (the proxy
    // is the one peer) there is no cap unless one is asked for.
    let direct = ServerProcess::start_limited(app.database_url(), None, None, &[]).await;
    let held = idle_connections(address(&direct), loopback(5), 64).await;
    let mut over = RawConnection::open_from(loopback(5), address(&direct)).await;
    over.try_send(HEALTH).await;
    assert!(over.read_answer().await.is_none(), "the 65th is refused");
    drop(held);
    let proxied = ServerProcess::start_limited(
        app.database_url(),
        None,
        None,
        &[("REGISTRAR_CLIENT_IP_HEADER", "x-forwarded-for")],
    )
    .await;
    let many = idle_connections(address(&proxied), loopback(6), 80).await;
    assert_eq!(many.len(), 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_1_1_request_names_exactly_one_host() {
    let app = spawn_app!(Backend::Sqlite);
    let cases: [(&[u8], StatusCode); 4] = [
        (b"GET /healthz HTTP/1.1\r\n\r\n", StatusCode::BAD_REQUEST),
        (
            b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            StatusCode::BAD_REQUEST,
        ),
        (b"GET /healthz HTTP/1.0\r\n\r\n", StatusCode::OK),
        (HEALTH, StatusCode::OK),
    ];
    for (request, expected) in cases {
        let mut connection = RawConnection::open(app.address).await;
        connection.send(request).await;
        let answer = connection.read_answer().await.expect("an answer");
        assert_eq!(
            answer.status,
            expected,
            "{}",
            String::from_utf8_lossy(request)
        );
        crate::raw::assert_security_headers(&answer, "a request without one Host");
    }
}
