//! `registrar serve --ephemeral` (docs/contract.md §11): a throw-away
//! server for other people's tests. Its SQLite database lives in a
//! temporary directory removed on exit; it listens on a free port unless
//! told otherwise; the accounts and demo students asked for are there
//! before it listens.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::accounts::changes::Actor;
use crate::accounts::{self, CreateError, NewAccount};
use crate::auth::password::{self, HashError};
use crate::config::{AccountSpec, EphemeralOptions, Settings};
use crate::db::connect_and_migrate;
use crate::domain::Role;
use crate::students::demo;

#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    #[error("{0}")]
    Account(#[from] crate::config::AccountSpecError),
    #[error("--account {0}: an account of that name already exists")]
    AccountTaken(String),
    #[error("--account: {0}")]
    Refused(String),
    #[error("cannot create a temporary directory: {0}")]
    ScratchDir(std::io::Error),
    #[error("cannot load the demo students: {0}")]
    Demo(#[from] demo::DemoError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("cannot use the database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// Points `settings` at a throw-away database (unless it names one) and a
/// free port (unless it names one), and creates the accounts and demo
/// students asked for. The directory returned holds the database and is
/// removed when dropped.
pub async fn prepare(
    settings: &mut Settings,
    options: &EphemeralOptions,
) -> Result<Option<ScratchDir>, EphemeralError> {
    let accounts = options
        .account
        .iter()
        .map(|spec| AccountSpec::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let scratch = match settings.database.database_url {
        Some(_) => None,
        None => {
            let dir = ScratchDir::create().map_err(EphemeralError::ScratchDir)?;
            settings.database.database_url = Some(dir.database_url());
            tracing::info!(directory = %dir.path().display(), "throw-away database");
            Some(dir)
        }
    };
    settings
        .bind
        .get_or_insert(SocketAddr::from(([127, 0, 0, 1], 0)));

    let db = connect_and_migrate(&settings.database).await?;
    for account in &accounts {
        // The first account is an admin whatever is asked; the others get
        // the role named, else `registrar`.
        let new = NewAccount {
            username: &account.username,
            password_hash: password::hash(&account.password).await?,
            role: account.role.unwrap_or(Role::Registrar),
            must_change_password: false,
        };
        match accounts::create_account(&db, &new, &Actor::CommandLine).await {
            Ok(created) => {
                tracing::info!(registrar = %created.username, role = %created.role, "account created");
            }
            Err(CreateError::Refused(err)) => return Err(EphemeralError::Refused(err.to_string())),
            Err(CreateError::UsernameTaken) => {
                return Err(EphemeralError::AccountTaken(account.username.to_string()));
            }
            Err(CreateError::Database(err)) => return Err(err.into()),
        }
    }
    if let Some(students) = options.demo {
        let report = demo::fill(&db, students, 1, true, |_| {}).await?;
        tracing::info!(students = report.students, "demo students loaded");
    }
    db.close().await?;
    Ok(scratch)
}

/// A directory of our own under the system's temporary directory,
/// removed with everything in it when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    pub fn create() -> std::io::Result<ScratchDir> {
        let mut bytes = [0_u8; 8];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!(
            "registrar-ephemeral-{}-{suffix}",
            std::process::id()
        ));
        // Only this user may read the database in it.
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path)?;
        Ok(ScratchDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite database in it.
    pub fn database_url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.path.join("registrar.db").display()
        )
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        match std::fs::remove_dir_all(&self.path) {
            Ok(()) => {
                tracing::info!(directory = %self.path.display(), "throw-away database removed")
            }
            Err(err) => tracing::warn!(
                directory = %self.path.display(),
                error = %err,
                "could not remove the throw-away database"
            ),
        }
    }
}
