//! Settings from flags and the environment.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

/// registrar: edit student records in a browser, safely, together.
#[derive(Debug, Parser)]
#[command(name = "registrar", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Database: `sqlite://FILE?mode=rwc`, `postgres://…` or `mysql://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://registrar.db?mode=rwc",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,

    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "REGISTRAR_BIND",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub bind: SocketAddr,

    /// Database connections this instance may hold.
    #[arg(
        long,
        env = "REGISTRAR_DB_POOL_SIZE",
        default_value_t = 10,
        global = true
    )]
    pub db_pool_size: u32,
}

impl Settings {
    /// Settings for `database_url`, listening on a free loopback port.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Settings {
            database_url: database_url.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            db_pool_size: 10,
        }
    }

    /// The database URL with any password hidden, fit for logs.
    pub fn database_url_redacted(&self) -> String {
        redact(&self.database_url)
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://registrar.db"), "sqlite://registrar.db");
    }
}
