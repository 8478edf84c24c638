//! What a connection's parts (its socket, its service, its answer's body)
//! report about it, shared with the watchdog that closes it on a timeout
//! and with the admission that may ask it to give way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

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

    /// Completes when the connection is asked to give way (after
    /// [`Activity::give_way`]).
    pub(super) async fn asked_to_give_way(&self) {
        self.giving_way.notified().await;
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
    pub(super) async fn expired(&self, timeouts: Timeouts) -> &'static str {
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
