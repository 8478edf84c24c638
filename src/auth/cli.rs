//! `registrar user add | list | disable | enable | role`.

use std::io::{IsTerminal, Read};

use sea_orm::{DatabaseConnection, DbErr};

use super::password;
use crate::accounts::changes::Actor;
use crate::accounts::store::{self, Change, ChangeOutcome};
use crate::accounts::{self, CreateError, NewAccount};
use crate::config::UserCommand;
use crate::domain::Role;
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

fn role(text: &str) -> Result<Role, UserCommandError> {
    Role::parse(text).ok_or_else(|| {
        UserCommandError::Invalid(format!(
            "unknown role {text:?}: choose viewer, registrar or admin"
        ))
    })
}

pub async fn run(db: &DatabaseConnection, command: UserCommand) -> Result<(), UserCommandError> {
    match command {
        UserCommand::Add {
            username,
            role: asked,
            password_stdin,
            ..
        } => {
            let username = Username::parse_new(&username).map_err(UserCommandError::Invalid)?;
            let asked = role(&asked)?;
            let password = read_password(password_stdin)?;
            let password = NewPassword::parse(&password).map_err(UserCommandError::Invalid)?;
            let hash = password::hash(&password).await?;
            let account = NewAccount {
                username: &username,
                password_hash: hash,
                role: asked,
                must_change_password: false,
            };
            match accounts::create_account(db, &account, &Actor::CommandLine).await {
                Ok(account) => {
                    println!("Created {} account {}", account.role, account.username);
                    if account.role != asked {
                        println!("(the first account is always an admin)");
                    }
                    Ok(())
                }
                Err(CreateError::UsernameTaken) => Err(UserCommandError::Invalid(format!(
                    "an account named {username} already exists (usernames ignore case)"
                ))),
                Err(CreateError::Refused(err)) => Err(UserCommandError::Invalid(err.to_string())),
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
                    "{}\t{}\tcreated {}\t{status}",
                    account.username,
                    account.role,
                    account.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            Ok(())
        }
        UserCommand::Disable { username, .. } => {
            change(db, &username, Change::Enabled(false)).await?;
            println!("Disabled {username} and ended its sessions");
            Ok(())
        }
        UserCommand::Enable { username, .. } => {
            change(db, &username, Change::Enabled(true)).await?;
            println!("Enabled {username}");
            Ok(())
        }
        UserCommand::Role {
            username,
            role: new,
            ..
        } => {
            let new = role(&new)?;
            change(db, &username, Change::Role(new)).await?;
            println!("{username} is now {}", new.with_article());
            Ok(())
        }
    }
}

async fn change(
    db: &DatabaseConnection,
    username: &str,
    change: Change,
) -> Result<(), UserCommandError> {
    let username = Username::parse(username).map_err(UserCommandError::Invalid)?;
    let outcome = store::change(db, &Actor::CommandLine, &username.key(), None, change)
        .await
        .map_err(|e| UserCommandError::Invalid(e.to_string()))?;
    match outcome {
        ChangeOutcome::NotFound => Err(UserCommandError::Invalid(format!(
            "there is no account named {username}"
        ))),
        _ => Ok(()),
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
