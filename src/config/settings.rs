//! The options of the server and of the database, from flags and the
//! environment (flags win).

use std::net::SocketAddr;

use crate::zone::Zone;

/// Where `registrar serve` listens unless told otherwise.
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 3000);

/// The database every command that uses one connects to.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://registrar.db?mode=rwc";

/// `--max-token-days` unless told otherwise.
pub const DEFAULT_MAX_TOKEN_DAYS: u32 = 365;

/// The most `--max-token-days` may say: a century.
pub const MAX_TOKEN_DAYS_LIMIT: i64 = 36_500;

/// Which database, and how this process uses it.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// Database: `sqlite://FILE?mode=rwc`, `postgres://…` or `mysql://…`
    /// [default: sqlite://registrar.db?mode=rwc]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Database connections this instance may hold.
    #[arg(long, env = "REGISTRAR_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,

    /// Milliseconds a save waits for a record another save holds, before it
    /// is answered "busy, try again" (with what was typed kept).
    #[arg(long, env = "REGISTRAR_LOCK_TIMEOUT_MS", default_value_t = 5_000)]
    pub lock_timeout_ms: u64,
}

impl DatabaseSettings {
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        DatabaseSettings {
            database_url: Some(database_url.into()),
            db_pool_size: 10,
            lock_timeout_ms: 5_000,
        }
    }

    /// The URL given, or the default SQLite file.
    pub fn url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
    }

    /// The database URL with any password hidden, fit for logs.
    pub fn url_redacted(&self) -> String {
        redact(self.url())
    }

    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lock_timeout_ms)
    }
}

/// How the server runs: its database, address, cookies, sessions, limits.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Server")]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port)
    /// [default: 127.0.0.1:3000; with --ephemeral 127.0.0.1:0].
    #[arg(long, env = "REGISTRAR_BIND")]
    pub bind: Option<SocketAddr>,

    /// Mark cookies `Secure` (set this when users reach registrar over HTTPS,
    /// e.g. behind a TLS-terminating proxy).
    #[arg(long, env = "REGISTRAR_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "REGISTRAR_SESSION_IDLE_MINUTES", default_value_t = 120)]
    pub session_idle_minutes: u32,

    /// Hours after sign-in after which a session ends, however active.
    #[arg(long, env = "REGISTRAR_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u32,

    /// Seconds a request may take before it is answered with a "try again" page.
    #[arg(long, env = "REGISTRAR_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Header holding the client's address, set by a trusted reverse proxy
    /// (e.g. `x-forwarded-for`; its last entry is used). Without it, the
    /// connection's peer address is the client's.
    #[arg(long, env = "REGISTRAR_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// Address of a second listener serving `GET /metrics` (Prometheus
    /// text) and nothing else; off unless given. Never the public address:
    /// it needs no sign-in, so keep it where only the monitoring reaches.
    #[arg(long, env = "REGISTRAR_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// The office's time zone, an IANA name (Europe/Berlin,
    /// America/New_York): pages show every time in it, the zone named.
    /// CSV files, `datetime` attributes and logs stay UTC.
    #[arg(
        long,
        env = "REGISTRAR_TIME_ZONE",
        value_name = "ZONE",
        default_value = "UTC"
    )]
    pub time_zone: Zone,

    /// Days the access log keeps an entry (who looked at which record);
    /// older entries are deleted by a sweeper every ten minutes.
    #[arg(
        long,
        env = "REGISTRAR_ACCESS_LOG_DAYS",
        value_name = "DAYS",
        default_value_t = 400,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub access_log_days: u32,

    /// The longest lifetime, in days, that a new API token may be given
    /// (on /account and by `registrar token add`).
    #[arg(
        long,
        env = "REGISTRAR_MAX_TOKEN_DAYS",
        value_name = "DAYS",
        default_value_t = DEFAULT_MAX_TOKEN_DAYS,
        value_parser = clap::value_parser!(u32).range(1..=MAX_TOKEN_DAYS_LIMIT)
    )]
    pub max_token_days: u32,

    /// Every account that signs in with a password must set up two-factor
    /// sign-in (an authenticator app's codes) at its next sign-in, before
    /// any other page opens.
    #[arg(long, env = "REGISTRAR_REQUIRE_TWO_FACTOR")]
    pub require_two_factor: bool,

    #[command(flatten)]
    pub database: DatabaseSettings,

    /// Boxed: the serve command would otherwise dwarf the others.
    #[command(flatten)]
    pub oidc: Box<super::oidc::OidcSettings>,

    #[command(flatten)]
    pub connections: crate::server::ConnectionLimits,
}

impl Settings {
    /// Settings for `database_url`, listening on a free loopback port.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Settings {
            database: DatabaseSettings::for_tests(database_url),
            bind: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            secure_cookies: false,
            session_idle_minutes: 120,
            session_max_hours: 12,
            request_timeout_secs: 30,
            client_ip_header: None,
            metrics_bind: None,
            time_zone: Zone::UTC,
            access_log_days: 400,
            max_token_days: DEFAULT_MAX_TOKEN_DAYS,
            require_two_factor: false,
            oidc: Box::default(),
            connections: crate::server::ConnectionLimits::default(),
        }
    }

    /// The address to listen on.
    pub fn bind_address(&self) -> SocketAddr {
        self.bind.unwrap_or(DEFAULT_BIND)
    }
}

/// `registrar serve`: the server, and what `--ephemeral` adds.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    #[command(flatten)]
    pub settings: Settings,
    #[command(flatten)]
    pub ephemeral: EphemeralOptions,
}

/// A throw-away server for other people's tests.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "A throw-away server for tests")]
pub struct EphemeralOptions {
    /// Serve a throw-away SQLite database in a temporary directory, removed
    /// on exit (unless a database URL is given, which is then used and kept);
    /// listen on a free port unless --bind says otherwise. Standard output
    /// gets one line, `registrar listening on http://HOST:PORT`.
    #[arg(long)]
    pub ephemeral: bool,

    /// Create an account USERNAME:PASSWORD[:ROLE] (repeatable), password
    /// rules as at /setup. ROLE: viewer, registrar (the default) or admin;
    /// the first account is an admin whatever it says.
    #[arg(long, value_name = "USER:PASS[:ROLE]", requires = "ephemeral")]
    pub account: Vec<String>,

    /// Load this many demo students before listening.
    #[arg(long, value_name = "N", requires = "ephemeral")]
    pub demo: Option<u64>,
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
