//! Connect, migrate, bind, serve, shut down.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::net::TcpListener;

use crate::auth;
use crate::auth::cli::UserCommandError;
use crate::config::{Cli, Command, Settings};
use crate::db;
use crate::routes::router;
use crate::state::AppState;
use crate::state::AuthPolicy;
use crate::students::cli::{self as students_cli, StudentsCommandError};

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
    Students(#[from] StudentsCommandError),
}

/// Runs the command the CLI names.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let db = connect_and_migrate(&cli.settings).await?;
            db.close().await?;
            Ok(())
        }
        Command::User(command) => {
            let db = connect_and_migrate(&cli.settings).await?;
            let result = auth::cli::run(&db, command).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Demo {
            students,
            seed,
            append,
        } => {
            let db = connect_and_migrate(&cli.settings).await?;
            let result = students_cli::demo(&db, students, seed, append).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Export { q, sort, output } => {
            let db = connect_and_migrate(&cli.settings).await?;
            let result = students_cli::export(&db, &q, &sort, output.as_deref()).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Import { file, registrar } => {
            let db = connect_and_migrate(&cli.settings).await?;
            let result = students_cli::import(&db, &file, &registrar).await;
            db.close().await?;
            Ok(result?)
        }
        Command::Serve => {
            let app = Application::build(&cli.settings).await?;
            tracing::info!(address = %app.local_addr(), "registrar is listening on http://{}", app.local_addr());
            app.run_until(shutdown_signal()).await
        }
    }
}

/// Connects and applies pending migrations.
pub async fn connect_and_migrate(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    tracing::info!(database = %settings.database_url_redacted(), "connecting");
    let db = db::connect(
        &settings.database_url,
        settings.db_pool_size,
        std::time::Duration::from_millis(settings.lock_timeout_ms),
    )
    .await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// A connected, migrated application bound to its address, not yet serving.
pub struct Application {
    listener: TcpListener,
    db: DatabaseConnection,
    auth: AuthPolicy,
    request_timeout: std::time::Duration,
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db = connect_and_migrate(settings).await?;
        auth::password::warm_up().await;
        let listener =
            TcpListener::bind(settings.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.bind,
                    source,
                })?;
        Ok(Application {
            listener,
            db,
            auth: AuthPolicy::from_settings(settings),
            request_timeout: std::time::Duration::from_secs(settings.request_timeout_secs.max(1)),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
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
        };
        let sweeper = tokio::spawn(sweep_periodically(state.clone()));
        let app = router(state, self.request_timeout);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        sweeper.abort();
        tracing::info!("stopped serving; closing the database pool");
        self.db.close().await?;
        Ok(())
    }
}

/// Deletes expired sessions and sign-in failures no window counts, at
/// start and every ten minutes.
async fn sweep_periodically(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let sessions = auth::sessions::sweep(&state.db, &state.auth).await;
        let failures = auth::throttle::sweep(&state.db, &state.auth.throttle).await;
        if let Err(err) = crate::students::import::sweep(&state.db).await {
            tracing::warn!(error = %err, "sweeping unconfirmed imports failed");
        }
        match (sessions, failures) {
            (Ok(sessions), Ok(failures)) if sessions + failures > 0 => {
                tracing::info!(
                    sessions,
                    failures,
                    "swept expired sessions and sign-in failures"
                );
            }
            (Err(err), _) | (_, Err(err)) => tracing::warn!(error = %err, "sweeping failed"),
            _ => {}
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
