//! The command line: each command with its own options. Database options
//! go with every command that uses the database; server options only with
//! `serve`, which is also what `registrar` alone runs (with the same
//! options: `registrar --bind X` = `registrar serve --bind X`).

mod account;
mod oidc;
mod settings;
mod token;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use account::{AccountSpec, AccountSpecError, Role};
pub use oidc::{OidcSettings, PasswordSignIn};
pub use settings::{
    DEFAULT_MAX_TOKEN_DAYS, DatabaseSettings, EphemeralOptions, ServeOptions, Settings,
};
pub use token::TokenCommand;

/// registrar: edit student records in a browser, safely, together.
#[derive(Debug, Parser)]
#[command(
    name = "registrar",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a command, registrar serves (`registrar serve`).
    #[command(flatten)]
    pub serve: ServeOptions,
}

impl Cli {
    /// The command to run: the one named, else `serve`.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve (the default).
    Serve(ServeOptions),
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Manage registrar accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens (for `/api/v1`).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Verify the tamper-evident history, or take a digest of it.
    #[command(subcommand)]
    Audit(AuditCommand),
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
        #[command(flatten)]
        database: DatabaseSettings,
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
        output: Option<PathBuf>,
        /// Start the file with a byte-order mark, so that Excel reads it as
        /// UTF-8 (the import takes files with and without one).
        #[arg(long)]
        excel: bool,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Import a CSV file as the export writes it: rows with an id update
    /// that student at the row's version, rows without one create
    /// students; a row stale since its version is refused, never written.
    /// Prints the counts and each refused row; exits non-zero when any row
    /// was refused or invalid.
    Import {
        file: PathBuf,
        /// The enabled account (a registrar or an admin) the changes are
        /// made as.
        #[arg(long = "as")]
        registrar: String,
        /// Write nothing unless every row can be written (one transaction;
        /// files of at most 5,000 rows).
        #[arg(long)]
        all_or_nothing: bool,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

/// `registrar audit`: the tamper-evident history (contract §15).
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every revision's hash chain and compare it with the
    /// students: prints each student and version found changed, removed,
    /// inserted or reordered outside registrar and exits non-zero; exits 0
    /// with the counts when every chain holds.
    Verify {
        /// Only this student's chain.
        #[arg(long, conflicts_with = "digest")]
        student: Option<i64>,
        /// Also prove that nothing up to this digest (as `audit digest`
        /// printed it) changed since it was taken.
        #[arg(long, value_parser = digest_hash)]
        digest: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print one SHA-256 over every chain's latest revision now, and store
    /// its cut: keep the hash somewhere the database's users cannot write.
    Digest {
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl AuditCommand {
    pub fn database(&self) -> &DatabaseSettings {
        match self {
            AuditCommand::Verify { database, .. } | AuditCommand::Digest { database } => database,
        }
    }
}

/// A digest as `audit digest` prints it: 64 lowercase hex digits.
fn digest_hash(text: &str) -> Result<String, String> {
    match text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        true => Ok(text.to_owned()),
        false => Err("a digest is 64 lowercase hexadecimal digits".to_owned()),
    }
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
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// List accounts with their roles.
    List {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Disable an account and end its sessions.
    Disable {
        username: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Enable a disabled account.
    Enable {
        username: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Give an account a role: viewer, registrar or admin.
    Role {
        username: String,
        role: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl UserCommand {
    pub fn database(&self) -> &DatabaseSettings {
        match self {
            UserCommand::Add { database, .. }
            | UserCommand::List { database }
            | UserCommand::Disable { database, .. }
            | UserCommand::Enable { database, .. }
            | UserCommand::Role { database, .. } => database,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn registrar_alone_serves_with_the_serve_options() {
        let Command::Serve(serve) =
            Cli::parse_from(["registrar", "--bind", "127.0.0.1:0"]).into_command()
        else {
            panic!("registrar alone serves");
        };
        assert_eq!(serve.settings.bind, Some("127.0.0.1:0".parse().unwrap()));
        assert!(Cli::try_parse_from(["registrar", "demo", "--bind", "127.0.0.1:0"]).is_err());
        assert!(Cli::try_parse_from(["registrar", "--bind", "127.0.0.1:0", "demo"]).is_err());
        assert!(Cli::try_parse_from(["registrar", "migrate", "--database-url", "x"]).is_ok());
        assert!(Cli::try_parse_from(["registrar", "--account", "a:b"]).is_err());
    }
}
