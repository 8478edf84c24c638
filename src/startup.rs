//! Connect, migrate, bind, serve, shut down.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::net::TcpListener;

use crate::access::retention::{self, Retention};
use crate::access::{AccessLog, AccessWriter};
use crate::auth;
use crate::auth::AuthPolicy;
use crate::auth::cli::UserCommandError;
use crate::config::{Cli, Command, ServeOptions, Settings};
use crate::db::connect_and_migrate;
use crate::ephemeral;
use crate::metrics::Metrics;
use crate::oidc::provider::Refresher;
use crate::routes::router;
use crate::server::reachable;
use crate::state::AppState;
use crate::students::cli::{self as students_cli, StudentsCommandError};
use crate::students::export::Flavour;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot use the database: {0}")]
    Database(#[from] DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error(transparent)]
    User(#[from] UserCommandError),
    #[error(transparent)]
    Token(#[from] crate::api_tokens::cli::TokenCommandError),
    #[error(transparent)]
    Students(#[from] StudentsCommandError),
    #[error(transparent)]
    Ephemeral(#[from] ephemeral::EphemeralError),
    #[error(transparent)]
    Audit(#[from] crate::audit::cli::AuditError),
    #[error(transparent)]
    Oidc(#[from] crate::oidc::provider::OidcConfigError),
}

/// Runs the command the CLI names.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    match cli.into_command() {
        Command::Serve(options) => serve(options).await,
        Command::Migrate { database } => Ok(connect_and_migrate(&database).await?.close().await?),
        Command::Audit(command) => Ok(crate::audit::cli::run(command).await?),
        Command::User(command) => {
            let db = connect_and_migrate(command.database()).await?;
            let result = auth::cli::run(&db, command).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Token(command) => {
            let db = connect_and_migrate(command.database()).await?;
            let result = crate::api_tokens::cli::run(&db, command).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Demo {
            students,
            seed,
            append,
            database,
        } => {
            let db = connect_and_migrate(&database).await?;
            let result = students_cli::demo(&db, students, seed, append).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Export {
            q,
            sort,
            output,
            excel,
            database,
        } => {
            let db = connect_and_migrate(&database).await?;
            let flavour = match excel {
                true => Flavour::Excel,
                false => Flavour::Plain,
            };
            let result = students_cli::export(&db, &q, &sort, output.as_deref(), flavour).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Import {
            file,
            registrar,
            all_or_nothing,
            database,
        } => {
            let db = connect_and_migrate(&database).await?;
            let result = students_cli::import(&db, &file, &registrar, all_or_nothing).await;
            db.close().await?;
            Ok(result?)
        }
    }
}

/// `registrar serve`: prints `registrar listening on http://HOST:PORT`
/// (the only line on standard output) once it accepts connections, and
/// serves until Ctrl-C or SIGTERM. With `--ephemeral`, on a throw-away
/// database with the accounts and demo students asked for.
async fn serve(options: ServeOptions) -> Result<(), StartupError> {
    let ServeOptions {
        mut settings,
        ephemeral,
    } = options;
    // Listening for the signals from the start: one that comes while the
    // throw-away database is being prepared still cleans it up.
    let mut shutdown = Box::pin(shutdown_signal());
    let mut scratch = None;
    let build = async {
        if ephemeral.ephemeral {
            scratch = ephemeral::prepare(&mut settings, &ephemeral).await?;
        }
        Application::build(&settings).await
    };
    let app = tokio::select! {
        app = build => app?,
        () = &mut shutdown => return Ok(()),
    };
    println!("registrar listening on {}", app.url());
    let served = app.run_until(shutdown).await;
    drop(scratch);
    served
}

/// A connected, migrated application bound to its address, not yet serving.
pub struct Application {
    listener: TcpListener,
    /// `--metrics-bind`'s listener and the recorder it shows.
    metrics: Option<(TcpListener, Arc<Metrics>)>,
    db: DatabaseConnection,
    auth: AuthPolicy,
    request_timeout: std::time::Duration,
    connections: crate::server::ConnectionLimits,
    /// Connections one client address may hold, if capped.
    per_client: Option<usize>,
    /// Descriptors kept for other uses than connections (pool, files).
    reserved_descriptors: usize,
    /// The office's time zone (`--time-zone`).
    zone: crate::zone::Zone,
    /// How long the access log keeps entries (`--access-log-days`).
    access_retention: Retention,
    oidc: Option<Arc<crate::oidc::Provider>>,
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let oidc = crate::oidc::Provider::from_settings(&settings.oidc)?;
        let mut db = connect_and_migrate(&settings.database).await?;
        auth::password::warm_up().await;
        let addr = settings.bind_address();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let metrics = match settings.metrics_bind {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartupError::Bind { addr, source })?;
                let metrics = Metrics::new(
                    crate::routes::table().into_iter().map(|route| route.path),
                    settings.database.db_pool_size,
                );
                metrics.time_statements(&mut db);
                Some((listener, metrics))
            }
            None => None,
        };
        Ok(Application {
            listener,
            metrics,
            db,
            auth: AuthPolicy::from_settings(settings),
            request_timeout: std::time::Duration::from_secs(settings.request_timeout_secs.max(1)),
            connections: settings.connections.clone(),
            per_client: settings
                .connections
                .per_client(settings.client_ip_header.is_some()),
            reserved_descriptors: settings.database.db_pool_size as usize + 64,
            zone: settings.time_zone,
            access_retention: Retention {
                days: settings.access_log_days,
            },
            oidc,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// `http://HOST:PORT` as a client on this machine reaches it: the
    /// address bound, or loopback when bound to every address.
    pub fn url(&self) -> String {
        reachable(self.local_addr())
    }

    /// Where `GET /metrics` is served (`http://HOST:PORT`), if anywhere.
    pub fn metrics_url(&self) -> Option<String> {
        let (listener, _) = self.metrics.as_ref()?;
        listener.local_addr().ok().map(reachable)
    }

    /// Replaces the sign-in throttling policy (tests use small limits).
    pub fn with_auth_policy(mut self, auth: AuthPolicy) -> Self {
        self.auth = auth;
        self
    }

    /// Serves until `shutdown` completes, then lets in-flight requests
    /// finish and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let state = AppState {
            db: self.db.clone(),
            auth: Arc::new(self.auth),
            metrics: self
                .metrics
                .as_ref()
                .map(|(_, metrics)| Arc::clone(metrics)),
            presence_pace: Arc::default(),
            import_checks: Arc::default(),
            zone: self.zone,
            access: AccessLog::default(),
            feed: crate::feed::Tip::default(),
            oidc: self.oidc.clone(),
        };
        let _oidc = self.oidc.clone().map(Refresher::start);
        // Views are queued by handlers and written by this task, every
        // second and once more after the server has drained.
        let access_writer =
            AccessWriter::start(&state.access, self.db.clone(), state.metrics.clone());
        let access_sweeper = tokio::spawn(retention::sweep_periodically(
            self.db.clone(),
            self.access_retention,
        ));
        let import_checks = Arc::clone(&state.import_checks);
        let sweeper = tokio::spawn(crate::upkeep::sweep_periodically(state.clone()));
        let imports = tokio::spawn(crate::students::import::job::resume_periodically(
            self.db.clone(),
            state.metrics.clone(),
        ));
        let feed = crate::feed::Running::start(self.db.clone(), state.feed.clone());
        let (metrics, metrics_server) = match self.metrics {
            Some((listener, metrics)) => {
                let server = serve_metrics(
                    listener,
                    Arc::clone(&metrics),
                    self.db.clone(),
                    self.connections.clone(),
                );
                (Some(metrics), Some(server))
            }
            None => (None, None),
        };
        let app = router(state, self.request_timeout, metrics);
        let shutdown = feed.answering_waiters_at(shutdown);
        crate::server::serve(
            self.listener,
            app,
            &self.connections,
            self.reserved_descriptors,
            self.per_client,
            shutdown,
        )
        .await;
        feed.stop().await;
        sweeper.abort();
        imports.abort();
        access_sweeper.abort();
        access_writer.finish().await;
        match import_checks.interrupt_all(&self.db).await {
            Ok(0) => {}
            Ok(failed) => tracing::info!(
                failed,
                "uploads being checked were failed: the instance stops"
            ),
            Err(err) => tracing::warn!(error = %err, "could not fail the uploads being checked"),
        }
        if let Some(server) = metrics_server {
            server.stop().await;
        }
        tracing::info!("stopped serving; closing the database pool");
        self.db.close().await?;
        Ok(())
    }
}

/// The metrics listener's server and its upkeep, running beside the
/// application's.
struct MetricsServer {
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
    upkeep: tokio::task::JoinHandle<()>,
}

impl MetricsServer {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.served.await;
        self.upkeep.abort();
    }
}

/// Serves `GET /metrics` (and nothing else) on `listener`, under the same
/// connection limits as the application.
fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    db: DatabaseConnection,
    limits: crate::server::ConnectionLimits,
) -> MetricsServer {
    use axum::routing::get;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(address = %reachable(addr), "serving /metrics");
    }
    let upkeep = tokio::spawn({
        let metrics = Arc::clone(&metrics);
        async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                metrics.upkeep();
            }
        }
    });
    let router = axum::Router::new()
        .route("/metrics", get(crate::metrics::scrape))
        .fallback(|| async { crate::error::AppError::NotFound })
        .with_state((metrics, db));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        crate::server::serve(listener, router, &limits, 0, None, async {
            let _ = stopped.await;
        })
        .await;
    });
    MetricsServer {
        stop,
        served,
        upkeep,
    }
}

/// Completes on any signal that asks the process to end: Ctrl-C
/// (SIGINT), SIGTERM, SIGHUP (the terminal closed) or SIGQUIT, so that each
/// ends it cleanly (in-flight requests finish, `--ephemeral`'s directory is
/// removed). The handlers are installed when this is called, not when it
/// is first awaited.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut signals: Vec<tokio::signal::unix::Signal> = {
        use tokio::signal::unix::{SignalKind, signal};
        [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::quit(),
        ]
        .into_iter()
        .filter_map(|kind| signal(kind).ok())
        .collect()
    };
    async move {
        #[cfg(unix)]
        {
            if signals.is_empty() {
                std::future::pending::<()>().await;
            }
            let received = signals.iter_mut().map(|signal| Box::pin(signal.recv()));
            let _ = futures_util::future::select_all(received).await;
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; draining in-flight requests");
    }
}
