//! One connection: hyper serving the application, watched by timeouts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};

use super::body::{self, GuardedBody};
use super::io::Watched;

/// The longest request head (request line and headers) read: longer ones
/// are answered 431. Above hyper's longest URI (64 KiB, longer ones 414).
pub const MAX_HEAD_BYTES: usize = 80 * 1024;

/// A connection's read and write buffers grow no larger (hyper's default
/// is ~400 KiB), which bounds the memory a slow client can make it hold.
const MAX_BUFFER_BYTES: usize = 96 * 1024;

/// How long a client may take, see [`super::ConnectionLimits`].
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
}

/// Where a connection is in its life, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Just opened: the first request's head is due within the header timeout.
    Opened,
    /// Between requests: closed after the idle timeout.
    Idle,
    /// A request's first bytes have arrived; the rest of its head is due.
    Head,
    /// The application is answering (or its answer is being written).
    Serving,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    since: Instant,
    /// The last time bytes were read or written.
    progress: Instant,
    /// The answer being written has ended (hyper has dropped its body) but
    /// may not be flushed yet.
    answer_ended: bool,
    /// Everything the application answered has been flushed: anything
    /// hyper writes now is an answer of its own.
    flushed: bool,
}

/// What a connection's parts (its socket, its service) report, shared with
/// the watchdog.
#[derive(Debug)]
pub(super) struct Activity {
    state: Mutex<State>,
    /// Wakes the watchdog when the deadline moves closer.
    sooner: Notify,
    /// Set when the connection is to give its slot to a newcomer.
    give_way: AtomicBool,
    /// Wakes the connection when it is to give way.
    giving_way: Notify,
}

impl Activity {
    pub(super) fn new() -> Self {
        let now = Instant::now();
        Activity {
            state: Mutex::new(State {
                phase: Phase::Opened,
                since: now,
                progress: now,
                answer_ended: false,
                flushed: true,
            }),
            sooner: Notify::new(),
            give_way: AtomicBool::new(false),
            giving_way: Notify::new(),
        }
    }

    /// Since when the connection has been idle between requests, if it is.
    pub(super) fn idle_since(&self) -> Option<Instant> {
        let state = self.state();
        (state.phase == Phase::Idle).then_some(state.since)
    }

    /// Asks the connection to close as soon as it is not serving a request.
    pub(super) fn give_way(&self) {
        self.give_way.store(true, Ordering::Relaxed);
        self.giving_way.notify_one();
    }

    pub(super) fn told_to_give_way(&self) -> bool {
        self.give_way.load(Ordering::Relaxed)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bytes arrived: a request head begins, unless one is being served.
    pub(super) fn read(&self) {
        let mut state = self.state();
        state.progress = Instant::now();
        let was = state.phase;
        if matches!(was, Phase::Opened | Phase::Idle) {
            state.phase = Phase::Head;
            state.since = state.progress;
        }
        drop(state);
        if was == Phase::Idle {
            self.sooner.notify_one();
        }
    }

    pub(super) fn wrote(&self) {
        self.state().progress = Instant::now();
    }

    /// The socket was flushed: if the answer had ended, all of it is out.
    pub(super) fn flushed(&self) {
        let mut state = self.state();
        if state.answer_ended {
            state.answer_ended = false;
            state.flushed = true;
        }
    }

    /// Whether the application has nothing unflushed on this connection.
    pub(super) fn is_flushed(&self) -> bool {
        self.state().flushed
    }

    pub(super) fn request_started(&self) {
        let mut state = self.state();
        state.phase = Phase::Serving;
        state.since = Instant::now();
        state.flushed = false;
        state.answer_ended = false;
    }

    pub(super) fn answer_ended(&self) {
        let mut state = self.state();
        state.phase = Phase::Idle;
        state.since = Instant::now();
        state.answer_ended = true;
    }

    /// When the connection is due to be closed, and why, as things stand.
    fn deadline(&self, timeouts: Timeouts) -> (Instant, &'static str) {
        let state = self.state();
        match state.phase {
            Phase::Opened => (state.since + timeouts.header, "no request arrived in time"),
            Phase::Head => (
                state.since + timeouts.header,
                "the request's headers did not arrive in time",
            ),
            Phase::Idle => (state.since + timeouts.idle, "idle"),
            Phase::Serving => (
                state.progress + timeouts.idle,
                "the request made no progress",
            ),
        }
    }

    /// Completes when the connection has outlived its deadline.
    async fn expired(&self, timeouts: Timeouts) -> &'static str {
        loop {
            let (deadline, why) = self.deadline(timeouts);
            if Instant::now() >= deadline {
                return why;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline.into()) => {}
                () = self.sooner.notified() => {}
            }
        }
    }
}

/// Serves one connection until it ends, times out, or (after `stopping`,
/// or when told to give way) finishes the request it is serving.
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    activity: Arc<Activity>,
    mut stopping: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let app = app.clone();
            let activity = Arc::clone(&activity);
            async move {
                activity.request_started();
                let (mut parts, incoming) = request.into_parts();
                parts.extensions.insert(ConnectInfo(peer));
                let response = body::answer(app, parts, incoming, timeouts.header).await;
                Ok::<_, Infallible>(response.map(|b| GuardedBody::new(b, activity)))
            }
        })
    };
    let connection = http1::Builder::new()
        .keep_alive(true)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_BUFFER_BYTES)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut told_to_stop = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            why = activity.expired(timeouts) => {
                tracing::debug!(%peer, reason = why, "closing a connection");
                return;
            }
            _ = stopping.wait_for(|stop| *stop), if !told_to_stop => {
                told_to_stop = true;
                connection.as_mut().graceful_shutdown();
            }
            () = activity.giving_way.notified(), if !told_to_stop => {
                tracing::debug!(%peer, "closing an idle connection: a newcomer needs its slot");
                told_to_stop = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
