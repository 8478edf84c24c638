//! `registrar token add | list | revoke`.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use super::store::{self, ApiToken, Issued, NewToken, Revocation, TokenError};
use crate::accounts::{self, changes::Actor};
use crate::config::TokenCommand;
use crate::domain::{Role, TokenDays, TokenName, Username};

#[derive(Debug, thiserror::Error)]
pub enum TokenCommandError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<TokenError> for TokenCommandError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Database(err) => TokenCommandError::Database(err),
            err => TokenCommandError::Invalid(err.to_string()),
        }
    }
}

/// What `token add` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: Option<&'a str>,
    pub expires_days: Option<u32>,
    pub max_days: u32,
}

/// `token add`: makes the token (the test kit makes its tokens here too).
pub async fn add(
    db: &DatabaseConnection,
    request: TokenRequest<'_>,
) -> Result<Issued, TokenCommandError> {
    let name = TokenName::parse(request.name)
        .map_err(|m| TokenCommandError::Invalid(format!("--name: {m}")))?;
    let cap = match request.role {
        None => None,
        Some(text) => Some(Role::parse(text).ok_or_else(|| {
            TokenCommandError::Invalid(format!(
                "unknown role {text:?}: choose viewer, registrar or admin"
            ))
        })?),
    };
    let days = TokenDays::within(request.expires_days, request.max_days)
        .map_err(|m| TokenCommandError::Invalid(format!("--expires-days: {m}")))?;
    let account = account_named(db, request.username).await?;
    let new = NewToken { name, cap, days };
    store::issue(db, account.id, &Actor::CommandLine, &new)
        .await
        .map_err(|err| match err {
            TokenError::NotEnabled => TokenCommandError::Invalid(format!(
                "{} is disabled: enable it before making it a token",
                account.username
            )),
            err => err.into(),
        })
}

async fn account_named(
    db: &DatabaseConnection,
    username: &str,
) -> Result<accounts::Account, TokenCommandError> {
    let missing = || TokenCommandError::Invalid(format!("there is no account named {username}"));
    let key = Username::parse(username).map_err(|_| missing())?.key();
    accounts::find_by_username(db, &key)
        .await?
        .ok_or_else(missing)
}

pub async fn run(db: &DatabaseConnection, command: TokenCommand) -> Result<(), TokenCommandError> {
    match command {
        TokenCommand::Add {
            username,
            name,
            role,
            expires_days,
            max_token_days,
            ..
        } => {
            let request = TokenRequest {
                username: &username,
                name: &name,
                role: role.as_deref(),
                expires_days,
                max_days: max_token_days,
            };
            let issued = add(db, request).await?;
            eprintln!(
                "Made API token {} for {username}: {}; {}. It is not shown again.",
                issued.row.id,
                cap(&issued.row),
                expiry(&issued.row)
            );
            println!("{}", issued.token);
            Ok(())
        }
        TokenCommand::List { username, .. } => {
            let account_id = match &username {
                Some(username) => Some(account_named(db, username).await?.id),
                None => None,
            };
            let tokens = store::listed(db, account_id).await?;
            if tokens.is_empty() {
                println!("No API tokens.");
            }
            let at = crate::db::now();
            for (token, username) in tokens {
                println!(
                    "{}\t{username}\t{}\t{}\tcreated {}\t{}\tlast used {}\t{}",
                    token.id,
                    token.name,
                    cap(&token),
                    when(token.created_at),
                    expiry(&token),
                    token.last_used_at.map_or_else(|| "never".to_owned(), when),
                    state(&token, at)
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id, .. } => {
            match store::revoke(db, &Actor::CommandLine, id, None).await? {
                Revocation::Revoked(token) => {
                    println!("Revoked API token {id} \u{201c}{}\u{201d}", token.name);
                    Ok(())
                }
                Revocation::AlreadyRevoked(token) => {
                    println!(
                        "API token {id} \u{201c}{}\u{201d} was already revoked",
                        token.name
                    );
                    Ok(())
                }
                Revocation::NotFound => Err(TokenCommandError::Invalid(format!(
                    "there is no API token {id}"
                ))),
            }
        }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn cap(token: &ApiToken) -> String {
    match token.role {
        Some(role) => format!("at most {role}"),
        None => "the account's role".to_owned(),
    }
}

fn expiry(token: &ApiToken) -> String {
    token.expires_at.map_or_else(
        || "never expires".to_owned(),
        |at| format!("expires {}", when(at)),
    )
}

fn state(token: &ApiToken, at: DateTime<Utc>) -> String {
    match (&token.revoked_at, token.expires_at) {
        (Some(revoked), _) => format!(
            "revoked {} by {}",
            when(*revoked),
            token.revoked_by.as_deref().unwrap_or("?")
        ),
        (None, Some(end)) if end <= at => "expired".to_owned(),
        _ => "active".to_owned(),
    }
}
