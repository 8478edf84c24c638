//! Connect, migrate, bind, serve, shut down.

use std::future::Future;
use std::net::SocketAddr;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::net::TcpListener;

use crate::config::{Cli, Command, Settings};
use crate::db;
use crate::routes::router;
use crate::state::AppState;

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
}

/// Runs the command the CLI names.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let db = connect_and_migrate(&cli.settings).await?;
            db.close().await?;
            Ok(())
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
    let db = db::connect(&settings.database_url, settings.db_pool_size).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// A connected, migrated application bound to its address, not yet serving.
pub struct Application {
    listener: TcpListener,
    db: DatabaseConnection,
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db = connect_and_migrate(settings).await?;
        let listener =
            TcpListener::bind(settings.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.bind,
                    source,
                })?;
        Ok(Application { listener, db })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until `shutdown` completes, then lets in-flight requests
    /// finish and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let app = router(AppState {
            db: self.db.clone(),
        });
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        tracing::info!("stopped serving; closing the database pool");
        self.db.close().await?;
        Ok(())
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
