//! What the process counts and times, for `GET /metrics` (contract §11):
//! Prometheus text, served only on `--metrics-bind`, never on the public
//! address.
//!
//! Each [`Application`](crate::startup::Application) started with a
//! metrics address owns one [`Metrics`]: its own recorder, not the
//! process-wide one, so that the figures are those of that instance even
//! where several run in one process (the tests). A request runs
//! [`Metrics::scoped`], which makes that recorder the current one while the
//! request's future is polled; the `record_*` functions below count into
//! whichever recorder is current, and do nothing when none is (metrics
//! off). Per request the layer ([`track`]) counts by route *pattern*
//! (`/students/{id}/edit`, never the raw path: a bounded set of labels),
//! method and status, and times it; every database statement is timed
//! through SeaORM's metric callback ([`Metrics::time_statements`]); the
//! pool's connections and a ping's round trip are read when scraped.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ::metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use sea_orm::{ActiveEnum, DatabaseConnection, DbBackend};

use crate::db::entities::revision::Action;

/// Every request answered, by method, route pattern and status.
pub const REQUESTS: &str = "registrar_http_requests_total";
/// How long each took (seconds, from the request's head to its answer's).
pub const REQUEST_SECONDS: &str = "registrar_http_request_duration_seconds";
/// Changes committed, by the revision's word (`updated`, `created`, …).
pub const SAVES: &str = "registrar_saves_total";
/// Answers `409 Conflict`: a stale form, a record deleted meanwhile.
pub const CONFLICTS: &str = "registrar_conflicts_total";
/// Answers `503`: a held record, an unreachable database, a timeout.
pub const BUSY: &str = "registrar_busy_total";
/// Transactions tried again after the database cluster asked for it.
pub const RETRIES: &str = "registrar_cluster_retries_total";
/// Sign-ins refused for a wrong username or password.
pub const SIGN_IN_FAILURES: &str = "registrar_sign_in_failures_total";
/// Sign-ins refused unchecked because of too many failures.
pub const SIGN_IN_THROTTLED: &str = "registrar_sign_in_throttled_total";
/// Access log entries dropped because the writer's queue was full.
pub const ACCESS_LOG_DROPPED: &str = "registrar_access_log_dropped_total";
/// Each database statement, as the server waits for it (seconds).
pub const STATEMENT_SECONDS: &str = "registrar_db_statement_duration_seconds";
/// Pooled database connections, by state (`in_use`, `idle`).
pub const POOL_CONNECTIONS: &str = "registrar_db_pool_connections";
/// The pool's size limit.
pub const POOL_MAX: &str = "registrar_db_pool_max_connections";
/// The round trip of a ping, measured at each scrape (seconds).
pub const PING_SECONDS: &str = "registrar_db_ping_seconds";

/// The label of requests no route matched (never the path asked for).
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// One instance's recorder and the handles it keeps.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Route patterns, so that labels borrow them instead of copying.
    routes: HashSet<&'static str>,
    /// The request series met so far: looked up without allocating.
    requests: RwLock<HashMap<RequestKey, (Counter, Histogram)>>,
    conflicts: Counter,
    busy: Counter,
    pool_max: u32,
}

type RequestKey = (&'static str, &'static str, u16);

impl Metrics {
    /// A recorder for an instance serving `routes`, with a pool of at most
    /// `pool_max` connections.
    pub fn new(routes: impl IntoIterator<Item = &'static str>, pool_max: u32) -> Arc<Metrics> {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        describe(&recorder);
        let handle = recorder.handle();
        let conflicts = register_counter(&recorder, Key::from_static_name(CONFLICTS));
        let busy = register_counter(&recorder, Key::from_static_name(BUSY));
        Arc::new(Metrics {
            recorder,
            handle,
            routes: routes.into_iter().collect(),
            requests: RwLock::default(),
            conflicts,
            busy,
            pool_max,
        })
    }

    /// Runs `future` with this recorder as the current one, so that the
    /// `record_*` functions count here.
    pub async fn scoped<F: Future>(&self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            ::metrics::with_local_recorder(&self.recorder, || future.as_mut().poll(cx))
        })
        .await
    }

    /// Times every statement `db` (and each transaction begun from it)
    /// runs from now on.
    pub fn time_statements(self: &Arc<Self>, db: &mut DatabaseConnection) {
        let histogram = self
            .recorder
            .register_histogram(&Key::from_static_name(STATEMENT_SECONDS), &METADATA);
        db.set_metric_callback(move |info| histogram.record(info.elapsed.as_secs_f64()));
    }

    /// Drains recorded samples into their histograms; run now and then, or
    /// they pile up between scrapes.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text, after reading the pool and a ping's round trip.
    pub async fn render(&self, db: &DatabaseConnection) -> String {
        if let Some((size, idle)) = pool_connections(db) {
            let gauge = |state: &'static str| {
                self.recorder.register_gauge(
                    &Key::from_parts(
                        POOL_CONNECTIONS,
                        vec![Label::from_static_parts("state", state)],
                    ),
                    &METADATA,
                )
            };
            gauge("in_use").set(f64::from(size.saturating_sub(idle)));
            gauge("idle").set(f64::from(idle));
        }
        self.recorder
            .register_gauge(&Key::from_static_name(POOL_MAX), &METADATA)
            .set(f64::from(self.pool_max));
        let started = Instant::now();
        let ping = db.ping().await;
        let ping_gauge = self
            .recorder
            .register_gauge(&Key::from_static_name(PING_SECONDS), &METADATA);
        match ping {
            Ok(()) => ping_gauge.set(started.elapsed().as_secs_f64()),
            // No answer: NaN, which Prometheus shows as a gap.
            Err(_) => ping_gauge.set(f64::NAN),
        }
        self.handle.render()
    }

    fn request(&self, method: &Method, route: Option<&str>, status: StatusCode, took: Duration) {
        let route = route
            .and_then(|r| self.routes.get(r).copied())
            .unwrap_or(UNMATCHED);
        let key = (method_label(method), route, status.as_u16());
        let known = self
            .requests
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        let (count, time) = known.unwrap_or_else(|| self.register_request(key));
        count.increment(1);
        time.record(took.as_secs_f64());
        match status {
            StatusCode::CONFLICT => self.conflicts.increment(1),
            StatusCode::SERVICE_UNAVAILABLE => self.busy.increment(1),
            _ => {}
        }
    }

    fn register_request(&self, key: RequestKey) -> (Counter, Histogram) {
        let (method, route, status) = key;
        let labels = vec![
            Label::from_static_parts("method", method),
            Label::from_static_parts("route", route),
            Label::new("status", status.to_string()),
        ];
        let series = (
            register_counter(&self.recorder, Key::from_parts(REQUESTS, labels.clone())),
            self.recorder
                .register_histogram(&Key::from_parts(REQUEST_SECONDS, labels), &METADATA),
        );
        self.requests
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, series.clone());
        series
    }
}

/// The request layer: counts and times each request under its route
/// pattern, with this instance's recorder current while it runs.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = metrics.scoped(next.run(request)).await;
    metrics.request(
        &method,
        route.as_ref().map(MatchedPath::as_str),
        response.status(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics` on the metrics address.
pub async fn scrape(State((metrics, db)): State<(Arc<Metrics>, DatabaseConnection)>) -> Response {
    let body = metrics.render(&db).await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// One committed change, labelled with its revision's word (`created`,
/// `updated`, `deleted`, `restored`, `undeleted`).
pub fn record_save(action: Action) {
    record_saves(action, 1);
}

/// `count` changes of `action` committed at once (an import's batch).
pub fn record_saves(action: Action, count: u64) {
    if count > 0 {
        ::metrics::counter!(SAVES, "action" => action.to_value()).increment(count);
    }
}

/// Spawns `future`, counted in `metrics` (the instance's recorder) when
/// there is one: background work started by a request or by the instance.
pub fn spawn_counted<F>(metrics: Option<Arc<Metrics>>, future: F) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        match metrics {
            Some(metrics) => metrics.scoped(future).await,
            None => future.await,
        }
    })
}

/// A transaction tried again because the database cluster asked (a
/// serialization failure, a failover): call once per retry.
pub fn record_retry() {
    ::metrics::counter!(RETRIES).increment(1);
}

/// A sign-in refused for a wrong username or password.
pub fn record_sign_in_failure() {
    ::metrics::counter!(SIGN_IN_FAILURES).increment(1);
}

/// `count` access log entries dropped (the queue was full).
pub fn record_access_log_dropped(count: u64) {
    ::metrics::counter!(ACCESS_LOG_DROPPED).increment(count);
}

/// A sign-in refused by the throttle before any password was checked.
pub fn record_sign_in_throttled() {
    ::metrics::counter!(SIGN_IN_THROTTLED).increment(1);
}

static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

fn register_counter(recorder: &PrometheusRecorder, key: Key) -> Counter {
    recorder.register_counter(&key, &METADATA)
}

fn describe(recorder: &PrometheusRecorder) {
    let counters = [
        (
            REQUESTS,
            "Requests answered, by method, route pattern and status.",
        ),
        (SAVES, "Changes committed, by action."),
        (
            CONFLICTS,
            "Answers 409: a stale form or a record deleted meanwhile.",
        ),
        (
            BUSY,
            "Answers 503: a held record, an unreachable database, a timeout.",
        ),
        (
            RETRIES,
            "Transactions tried again at the database cluster's request.",
        ),
        (
            SIGN_IN_FAILURES,
            "Sign-ins refused for a wrong username or password.",
        ),
        (
            SIGN_IN_THROTTLED,
            "Sign-ins refused by the throttle, unchecked.",
        ),
    ];
    for (name, help) in counters {
        recorder.describe_counter(name.into(), None, help.into());
    }
    let histograms = [
        (
            REQUEST_SECONDS,
            "Time from a request's head to its answer, in seconds.",
        ),
        (
            STATEMENT_SECONDS,
            "Time of each database statement as the server waits for it, in seconds.",
        ),
    ];
    for (name, help) in histograms {
        recorder.describe_histogram(name.into(), Some(::metrics::Unit::Seconds), help.into());
    }
    let gauges = [
        (POOL_CONNECTIONS, "Pooled database connections, by state."),
        (POOL_MAX, "The most database connections the pool holds."),
        (
            PING_SECONDS,
            "Round trip of a database ping at the last scrape, in seconds.",
        ),
    ];
    for (name, help) in gauges {
        recorder.describe_gauge(name.into(), None, help.into());
    }
    // Present from the start at zero, so that a rate can be taken at once.
    for name in [
        CONFLICTS,
        BUSY,
        RETRIES,
        SIGN_IN_FAILURES,
        SIGN_IN_THROTTLED,
    ] {
        register_counter(recorder, Key::from_static_name(name)).absolute(0);
    }
}

/// Connections open in the pool and how many of them are idle.
fn pool_connections(db: &DatabaseConnection) -> Option<(u32, u32)> {
    let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        DbBackend::MySql => {
            let pool = db.get_mysql_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        _ => None,
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
