//! `registrar user add | list | disable`.

use std::io::{IsTerminal, Read};

use sea_orm::{DatabaseConnection, DbErr};

use super::accounts::{self, CreateError};
use super::password;
use crate::config::UserCommand;
use crate::domain::{NewPassword, Username};

#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    #[error("{0}")]
    Invalid(String),
    #[error("could not read the password: {0}")]
    Input(#[from] std::io::Error),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

pub async fn run(db: &DatabaseConnection, command: UserCommand) -> Result<(), UserCommandError> {
    match command {
        UserCommand::Add {
            username,
            password_stdin,
            ..
        } => {
            let username = Username::parse(&username).map_err(UserCommandError::Invalid)?;
            let password = read_password(password_stdin)?;
            let password = NewPassword::parse(&password).map_err(UserCommandError::Invalid)?;
            let hash = password::hash(&password).await?;
            match accounts::create(db, &username, hash).await {
                Ok(account) => {
                    println!("Created registrar account {}", account.username);
                    Ok(())
                }
                Err(CreateError::UsernameTaken) => Err(UserCommandError::Invalid(format!(
                    "an account named {username} already exists (usernames ignore case)"
                ))),
                Err(CreateError::Database(err)) => Err(err.into()),
            }
        }
        UserCommand::List { .. } => {
            let accounts = accounts::list(db).await?;
            if accounts.is_empty() {
                println!("No registrar accounts yet.");
            }
            for account in accounts {
                let status = match account.disabled_at {
                    Some(at) => format!("disabled {}", at.format("%Y-%m-%d %H:%M UTC")),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\tcreated {}\t{status}",
                    account.username,
                    account.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            Ok(())
        }
        UserCommand::Disable { username, .. } => {
            let username = Username::parse(&username).map_err(UserCommandError::Invalid)?;
            if accounts::disable(db, &username).await? {
                println!("Disabled {username} and ended its sessions");
                Ok(())
            } else {
                Err(UserCommandError::Invalid(format!(
                    "there is no account named {username}"
                )))
            }
        }
    }
}

/// The password from standard input's first line, or asked for twice,
/// hidden, on a terminal.
fn read_password(from_stdin: bool) -> Result<String, UserCommandError> {
    if from_stdin {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        let first_line = input.lines().next().unwrap_or_default();
        return Ok(first_line.to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(UserCommandError::Invalid(
            "standard input is not a terminal: pass --password-stdin to read the password from it"
                .to_owned(),
        ));
    }
    let password = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password again: ")?;
    if password != again {
        return Err(UserCommandError::Invalid(
            "the passwords do not match".to_owned(),
        ));
    }
    Ok(password)
}
