//! `registrar token …`: API tokens from the command line (contract §13).

use clap::Subcommand;

use super::settings::{DEFAULT_MAX_TOKEN_DAYS, DatabaseSettings, MAX_TOKEN_DAYS_LIMIT};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token for an enabled account and print it, alone, on
    /// standard output: it is shown this once (only its SHA-256 is kept).
    Add {
        username: String,
        /// What will use it, so that its holder knows which to revoke.
        #[arg(long)]
        name: String,
        /// The most it may do: viewer, registrar or admin, at most the
        /// account's role. Without it, the token acts with the account's
        /// role, whatever it becomes.
        #[arg(long)]
        role: Option<String>,
        /// Days until it expires [default: --max-token-days].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        expires_days: Option<u32>,
        /// The longest lifetime a token may be given, in days (as `serve`
        /// takes it).
        #[arg(
            long,
            env = "REGISTRAR_MAX_TOKEN_DAYS",
            value_name = "DAYS",
            default_value_t = DEFAULT_MAX_TOKEN_DAYS,
            value_parser = clap::value_parser!(u32).range(1..=MAX_TOKEN_DAYS_LIMIT)
        )]
        max_token_days: u32,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// List API tokens (every account's, or USERNAME's): id, account, name,
    /// cap, made, expires, last used, state. Never the tokens themselves.
    List {
        username: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Revoke an API token by its id (as `token list` shows it): no request
    /// is accepted with it from then on.
    Revoke {
        id: i64,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl TokenCommand {
    pub fn database(&self) -> &DatabaseSettings {
        match self {
            TokenCommand::Add { database, .. }
            | TokenCommand::List { database, .. }
            | TokenCommand::Revoke { database, .. } => database,
        }
    }
}
