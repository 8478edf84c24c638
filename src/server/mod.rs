//! The HTTP server: accepts connections up to a cap and serves each with
//! hyper, under timeouts no slow or silent client can outwait (contract §11).
//!
//! `axum::serve` offers no connection settings, so this is its own small
//! accept loop. Per connection ([`connection`]): the first request's head
//! must arrive within the header timeout of the connection opening, and
//! each later one within the header timeout of its first byte; a
//! connection idle between requests closes after the idle timeout; one
//! whose request makes no progress reading or writing for the idle timeout
//! closes too. A body the application refused without reading is drained
//! (or the answer says `Connection: close`, [`body`]), so a client reusing
//! the connection never loses its next request. Answers hyper writes on
//! its own (a malformed request) get our headers and page ([`io`]).

mod activity;
mod admission;
mod body;
mod connection;
mod io;
mod limits;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

pub use activity::Timeouts;
pub use limits::{ConnectionLimits, DEFAULT_PER_CLIENT};

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting, lets every connection finish the request it is serving, and
/// returns when all are closed. `reserved`: descriptors kept for other
/// uses than connections (see [`ConnectionLimits`]); `per_client`: the cap
/// per client address, if any ([`ConnectionLimits::per_client`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionLimits,
    reserved: usize,
    per_client: Option<usize>,
    shutdown: impl Future<Output = ()>,
) {
    let cap = limits.cap(reserved);
    let timeouts = limits.timeouts();
    let open = Arc::new(Semaphore::new(cap));
    let admission = admission::Admission::new(per_client);
    let (stop, stopping) = watch::channel(false);
    let mut at_cap = CapLog::new(
        "connection limit reached: the longest-idle connection gives way, or new ones wait until one closes",
    );
    let mut client_at_cap = CapLog::new(
        "a client address reached its connection cap (--max-connections-per-client): its new connections are closed",
    );
    let trimmer = tokio::spawn(release_memory_after_bursts(Arc::clone(&open), cap));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if admission.client_at_cap(peer.ip()) {
            client_at_cap.reached(per_client.unwrap_or_default());
            drop(stream);
            continue;
        }
        let permit = tokio::select! {
            permit = slot(&open, &admission, cap, &mut at_cap) => permit,
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(activity::Activity::new());
        let ticket = admission.admit(peer.ip(), Arc::clone(&activity));
        let app = app.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            connection::serve(stream, peer, app, timeouts, activity, stopping).await;
            drop(ticket);
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = open.acquire_many(all).await;
    trimmer.abort();
}

/// Connections freed in a burst leave their buffers in glibc's arenas,
/// and the process would stay that much bigger for good: once at least
/// [`BURST`] connections have closed since the last look, freed memory is
/// handed back to the system.
async fn release_memory_after_bursts(open: Arc<Semaphore>, cap: usize) {
    const BURST: usize = 64;
    let mut every = tokio::time::interval(Duration::from_secs(5));
    let mut busiest = 0;
    loop {
        every.tick().await;
        let in_use = cap - open.available_permits().min(cap);
        busiest = busiest.max(in_use);
        if busiest - in_use >= BURST {
            release_freed_memory();
            busiest = in_use;
        }
    }
}

fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A free connection slot for a newcomer; when there is none, logs that
/// the cap is reached and asks the connection idle longest to give way,
/// again every [`GIVE_WAY_EVERY`] while none has closed (one busy then
/// may be idle now).
async fn slot(
    open: &Arc<Semaphore>,
    admission: &admission::Admission,
    cap: usize,
    log: &mut CapLog,
) -> OwnedSemaphorePermit {
    if let Ok(permit) = Arc::clone(open).try_acquire_owned() {
        return permit;
    }
    log.reached(cap);
    let freed = Arc::clone(open).acquire_owned();
    tokio::pin!(freed);
    loop {
        admission.evict_longest_idle();
        tokio::select! {
            permit = &mut freed => return permit.expect("the connection semaphore is never closed"),
            () = tokio::time::sleep(GIVE_WAY_EVERY) => {}
        }
    }
}

/// How long a newcomer at the cap waits for a slot before another idle
/// connection is asked to give way.
const GIVE_WAY_EVERY: Duration = Duration::from_millis(250);

/// Logs a limit being reached at most once a minute, with how often it was.
struct CapLog {
    what: &'static str,
    last: Option<Instant>,
    unlogged: u64,
}

impl CapLog {
    fn new(what: &'static str) -> Self {
        CapLog {
            what,
            last: None,
            unlogged: 0,
        }
    }

    fn reached(&mut self, cap: usize) {
        self.unlogged += 1;
        if self
            .last
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        tracing::warn!(cap, times = self.unlogged, "{}", self.what);
        self.last = Some(Instant::now());
        self.unlogged = 0;
    }
}

/// Errors of `accept` that concern one connection are skipped; others
/// (out of descriptors) are logged and waited out, as `axum::serve` does.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// `http://HOST:PORT` as a client on this machine reaches `addr`: loopback
/// when it is every address.
pub fn reachable(mut addr: std::net::SocketAddr) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{addr}")
}
