//! Accounts that sign in with the university's identity provider
//! (contract §14): linked by the pair (issuer, `sub`), never by a username
//! or an e-mail address; created at the first sign-in with the role the
//! claims give, which each later sign-in sets again.

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, SqlErr,
};

use super::account::{Account, find_by_username, lock_instance};
use super::changes::{self, Actor};
use crate::auth::writer::{self, WriteRefused};
use crate::cluster::retry;
use crate::db::entities::{provider_identity, registrar};
use crate::db::{begin_write, now};
use crate::domain::{Role, Username};

pub type ProviderIdentity = provider_identity::Model;

/// The password hash of an account that has none: no password matches it
/// (the sign-in treats it as an unknown account), and it is no PHC string.
pub const NO_PASSWORD: &str = "!provider";

/// Whether `hash` is a password at all.
pub fn has_password(hash: &str) -> bool {
    hash != NO_PASSWORD
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Claimed<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub preferred_username: Option<&'a str>,
    pub role: Role,
}

#[derive(Debug)]
pub enum SignIn {
    /// The account, created now or with its role as the claims say.
    Account(Account),
    /// The linked account is disabled: nobody signs in.
    Disabled,
}

/// The account linked to the claimed identity, created (or its role set)
/// as the claims say. The first-account-admin rule never applies.
pub async fn sign_in(db: &DatabaseConnection, claimed: &Claimed<'_>) -> Result<SignIn, DbErr> {
    retry::write("provider sign-in", || sign_in_once(db, claimed)).await
}

async fn sign_in_once(db: &DatabaseConnection, claimed: &Claimed<'_>) -> Result<SignIn, DbErr> {
    let txn = begin_write(db).await?;
    // As every account change: the last-admin rule sees every admin.
    lock_instance(&txn).await?;
    let linked = match identity(&txn, claimed.issuer, claimed.subject).await? {
        Some(identity) => {
            registrar::Entity::find_by_id(identity.registrar_id)
                .one(&txn)
                .await?
        }
        None => None,
    };
    let outcome = match linked {
        Some(account) if account.disabled_at.is_some() => SignIn::Disabled,
        Some(account) if account.role == claimed.role => SignIn::Account(account),
        Some(account) => {
            let was = account.role;
            let mut active = account.clone().into_active_model();
            active.role = Set(claimed.role);
            active.version = Set(account.version + 1);
            let account = active.update(&txn).await?;
            let detail = format!(
                "role {} → {} (from the identity provider's claims)",
                was, claimed.role
            );
            changes::record(&txn, &account, &Actor::Provider, "role", &detail).await?;
            SignIn::Account(account)
        }
        None => SignIn::Account(create(&txn, claimed).await?),
    };
    txn.commit().await?;
    Ok(outcome)
}

async fn create(txn: &impl ConnectionTrait, claimed: &Claimed<'_>) -> Result<Account, DbErr> {
    let username = unique_username(txn, claimed).await?;
    let account = registrar::ActiveModel {
        id: NotSet,
        username: Set(username.to_string()),
        username_key: Set(username.key()),
        password_hash: Set(NO_PASSWORD.to_owned()),
        created_at: Set(now()),
        disabled_at: Set(None),
        role: Set(claimed.role),
        version: Set(1),
        must_change_password: Set(false),
        last_sign_in_at: Set(None),
    }
    .insert(txn)
    .await?;
    insert_identity(
        txn,
        account.id,
        claimed.issuer,
        claimed.subject,
        &Actor::Provider,
    )
    .await?;
    let detail = format!(
        "created as {} at the first university sign-in",
        claimed.role
    );
    changes::record(txn, &account, &Actor::Provider, "created", &detail).await?;
    Ok(account)
}

/// `preferred_username` as a username (characters a username may not
/// hold dropped), else the part of `sub` that can be one; `-2`, `-3`, …
/// appended while it is taken.
async fn unique_username(
    txn: &impl ConnectionTrait,
    claimed: &Claimed<'_>,
) -> Result<Username, DbErr> {
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
            .take(Username::MAX_CHARS - 6)
            .collect()
    };
    let mut base = claimed.preferred_username.map(clean).unwrap_or_default();
    if Username::parse_new(&base).is_err() {
        base = clean(claimed.subject);
    }
    if Username::parse_new(&base).is_err() {
        base = "university-user".to_owned();
    }
    for n in 1..=10_000 {
        let candidate = match n {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        };
        let Ok(username) = Username::parse_new(&candidate) else {
            continue;
        };
        if find_by_username(txn, &username.key()).await?.is_none() {
            return Ok(username);
        }
    }
    Err(DbErr::Custom("no free username".to_owned()))
}

async fn insert_identity(
    txn: &impl ConnectionTrait,
    registrar_id: i64,
    issuer: &str,
    subject: &str,
    actor: &Actor<'_>,
) -> Result<(), DbErr> {
    provider_identity::ActiveModel {
        id: NotSet,
        registrar_id: Set(registrar_id),
        issuer: Set(issuer.to_owned()),
        subject: Set(subject.to_owned()),
        linked_at: Set(now()),
        linked_by: Set(actor.name().chars().take(64).collect()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

async fn identity(
    db: &impl ConnectionTrait,
    issuer: &str,
    subject: &str,
) -> Result<Option<ProviderIdentity>, DbErr> {
    provider_identity::Entity::find()
        .filter(provider_identity::Column::Issuer.eq(issuer))
        .filter(provider_identity::Column::Subject.eq(subject))
        .one(db)
        .await
}

/// The identity an account is linked to, if any.
pub async fn identity_of(
    db: &impl ConnectionTrait,
    registrar_id: i64,
) -> Result<Option<ProviderIdentity>, DbErr> {
    provider_identity::Entity::find()
        .filter(provider_identity::Column::RegistrarId.eq(registrar_id))
        .one(db)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no such account")]
    NotFound,
    #[error("the account is linked already")]
    AccountLinked,
    #[error("that identity is linked to another account")]
    IdentityTaken,
    #[error(transparent)]
    Refused(WriteRefused),
    #[error(transparent)]
    Database(DbErr),
}

impl From<DbErr> for LinkError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => LinkError::IdentityTaken,
            _ => LinkError::Database(err),
        }
    }
}

/// An admin links the account `username_key` to the identity (issuer,
/// `subject`): from then on the account signs in at the provider too.
pub async fn link(
    db: &DatabaseConnection,
    actor: &Actor<'_>,
    username_key: &str,
    issuer: &str,
    subject: &str,
) -> Result<Account, LinkError> {
    let txn = begin_write(db).await?;
    lock_instance(&txn).await?;
    if let Actor::Admin { id, .. } = actor {
        writer::recheck(&txn, *id, Role::Admin)
            .await
            .map_err(|refused| match refused {
                WriteRefused::Database(err) => LinkError::Database(err),
                refused => LinkError::Refused(refused),
            })?;
    }
    let account = find_by_username(&txn, username_key)
        .await?
        .ok_or(LinkError::NotFound)?;
    if identity_of(&txn, account.id).await?.is_some() {
        return Err(LinkError::AccountLinked);
    }
    if identity(&txn, issuer, subject).await?.is_some() {
        return Err(LinkError::IdentityTaken);
    }
    insert_identity(&txn, account.id, issuer, subject, actor).await?;
    let mut active = account.clone().into_active_model();
    active.version = Set(account.version + 1);
    let account = active.update(&txn).await?;
    let detail = format!("linked to the university identity {subject}");
    changes::record(&txn, &account, actor, "linked", &detail).await?;
    txn.commit().await?;
    Ok(account)
}
