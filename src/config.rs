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
    /// Manage registrar accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill the database with realistic, deterministic demo students.
    Demo {
        /// How many students to create.
        #[arg(long, default_value_t = 1_000)]
        students: u64,
        /// The same seed gives the same students.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Add to a database that already holds students.
        #[arg(long)]
        append: bool,
    },
    /// Write the students as CSV (the list's columns), like /students.csv.
    Export {
        /// Only students whose name or address contains this.
        #[arg(long, default_value = "")]
        q: String,
        /// Order: name, -name, gpa, -gpa, updated, -updated.
        #[arg(long, default_value = "name")]
        sort: String,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Create students from a CSV file with columns name, address, gpa:
    /// all of them, or none if any row is invalid.
    Import {
        file: std::path::PathBuf,
        /// The registrar the imported records are attributed to.
        #[arg(long = "as", default_value = "import")]
        registrar: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input with
    /// --password-stdin, or asked for (hidden) on a terminal.
    Add {
        username: String,
        /// viewer, registrar or admin (the first account is an admin
        /// whatever is asked).
        #[arg(long, default_value = "registrar")]
        role: String,
        /// Read the password from standard input (its first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts with their roles.
    List,
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Give an account a role: viewer, registrar or admin.
    Role { username: String, role: String },
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

    /// Mark cookies `Secure` (set this when users reach registrar over HTTPS,
    /// e.g. behind a TLS-terminating proxy).
    #[arg(long, env = "REGISTRAR_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(
        long,
        env = "REGISTRAR_SESSION_IDLE_MINUTES",
        default_value_t = 120,
        global = true
    )]
    pub session_idle_minutes: u32,

    /// Hours after sign-in after which a session ends, however active.
    #[arg(
        long,
        env = "REGISTRAR_SESSION_MAX_HOURS",
        default_value_t = 12,
        global = true
    )]
    pub session_max_hours: u32,

    /// Seconds a request may take before it is answered with a "try again" page.
    #[arg(
        long,
        env = "REGISTRAR_REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// Milliseconds a save waits for a record another save holds, before it
    /// is answered "busy, try again" (with what was typed kept).
    #[arg(
        long,
        env = "REGISTRAR_LOCK_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub lock_timeout_ms: u64,

    /// Header holding the client's address, set by a trusted reverse proxy
    /// (e.g. `x-forwarded-for`; its last entry is used). Without it, the
    /// connection's peer address is the client's.
    #[arg(long, env = "REGISTRAR_CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,
}

impl Settings {
    /// Settings for `database_url`, listening on a free loopback port.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Settings {
            database_url: database_url.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            db_pool_size: 10,
            secure_cookies: false,
            session_idle_minutes: 120,
            session_max_hours: 12,
            request_timeout_secs: 30,
            lock_timeout_ms: 5_000,
            client_ip_header: None,
        }
    }

    /// The database URL with any password hidden, fit for logs.
    pub fn database_url_redacted(&self) -> String {
        redact(&self.database_url)
    }
}

fn redact(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "(unparsable database URL)".to_owned();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let secret =
                k.to_ascii_lowercase().contains("pass") || k.to_ascii_lowercase().contains("key");
            (
                k.into_owned(),
                if secret {
                    "***".to_owned()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    if !pairs.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u:p%40ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("mysql://u@h/db?ssl-mode=disabled&password=x"),
            "mysql://u@h/db?ssl-mode=disabled&password=***"
        );
        assert_eq!(
            redact("sqlite://registrar.db?mode=rwc"),
            "sqlite://registrar.db?mode=rwc"
        );
    }
}
