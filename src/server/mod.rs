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

mod body;
mod connection;
mod io;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

pub use connection::Timeouts;

/// Limits on connections, from flags and the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's headers: from opening the
    /// connection, or from the first byte of a later request on it.
    #[arg(long, env = "REGISTRAR_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a keep-alive connection may stay idle between requests
    /// before it is closed (also: how long a request may make no progress).
    #[arg(long, env = "REGISTRAR_IDLE_TIMEOUT_SECS", default_value_t = 75)]
    pub idle_timeout_secs: u64,

    /// Connections open at once; beyond it, new ones wait (unaccepted)
    /// until one closes. Lowered at start to fit the open-file limit.
    #[arg(long, env = "REGISTRAR_MAX_CONNECTIONS", default_value_t = 1_024)]
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout_secs: 10,
            idle_timeout_secs: 75,
            max_connections: 1_024,
        }
    }
}

impl ConnectionLimits {
    fn timeouts(&self) -> Timeouts {
        Timeouts {
            header: Duration::from_secs(self.header_timeout_secs.max(1)),
            idle: Duration::from_secs(self.idle_timeout_secs.max(1)),
        }
    }

    /// The cap, lowered so that connections plus `reserved` other
    /// descriptors (database pool, files, the listener) fit the process's
    /// open-file limit: beyond it `accept` would fail instead of waiting.
    fn cap(&self, reserved: usize) -> usize {
        let wanted = self.max_connections.max(1);
        match open_file_limit() {
            Some(limit) if limit.saturating_sub(reserved) < wanted => {
                let fits = limit.saturating_sub(reserved).max(1);
                tracing::warn!(
                    wanted,
                    open_file_limit = limit,
                    cap = fits,
                    "the connection cap is lowered to fit the open-file limit (ulimit -n)"
                );
                fits
            }
            _ => wanted,
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn open_file_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as usize)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn open_file_limit() -> Option<usize> {
    None
}

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting, lets every connection finish the request it is serving, and
/// returns when all are closed. `reserved`: descriptors kept for other
/// uses than connections (see [`ConnectionLimits`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionLimits,
    reserved: usize,
    shutdown: impl Future<Output = ()>,
) {
    let cap = limits.cap(reserved);
    let timeouts = limits.timeouts();
    let open = Arc::new(Semaphore::new(cap));
    let (stop, stopping) = watch::channel(false);
    let mut at_cap = CapLog::default();
    let trimmer = tokio::spawn(release_memory_after_bursts(Arc::clone(&open), cap));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slot(&open, cap, &mut at_cap) => permit,
            () = &mut shutdown => break,
        };
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
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            connection::serve(stream, peer, app, timeouts, stopping).await;
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

/// A free connection slot; when there is none, logs that the cap is
/// reached and waits (not accepting) until a connection closes.
async fn slot(open: &Arc<Semaphore>, cap: usize, log: &mut CapLog) -> OwnedSemaphorePermit {
    if let Ok(permit) = Arc::clone(open).try_acquire_owned() {
        return permit;
    }
    log.reached(cap);
    Arc::clone(open)
        .acquire_owned()
        .await
        .expect("the connection semaphore is never closed")
}

/// Logs reaching the cap at most once a minute, with how often it happened.
#[derive(Default)]
struct CapLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl CapLog {
    fn reached(&mut self, cap: usize) {
        self.unlogged += 1;
        if self
            .last
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        tracing::warn!(
            max_connections = cap,
            times = self.unlogged,
            "connection limit reached: not accepting new connections until one closes"
        );
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
