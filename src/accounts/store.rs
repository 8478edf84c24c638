//! Changes to existing accounts, by the edit protocol: one write
//! transaction that re-checks the admin making it, locks the account, compares
//! the version the form was opened at, writes only over that version, ends
//! the sessions the change must end and records the change, all at once.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};

use super::account::{Account, lock_instance};
use super::changes::{self, AccountChange, Actor};
use crate::auth::ended::{self, Ending};
use crate::auth::writer::{self, WriteRefused};
use crate::cluster::{Failure, HasFailure, retry};
use crate::db::entities::ended_session::EndCause;
use crate::db::entities::{registrar, session};
use crate::db::{begin_write, now};
use crate::domain::{Role, Username};

/// Why a change to an account could not be made (an expected outcome, such
/// as a stale form, is a [`ChangeOutcome`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The admin (or holder) making the change may not make it any more.
    #[error(transparent)]
    Refused(WriteRefused),
    /// The holder changing their own password has no account any more.
    #[error("the account is not enabled")]
    HolderGone,
    /// An own-account change asked of someone who is not the holder.
    #[error("internal error: not the account's holder")]
    NotHolder,
    /// The account written was not there to read back.
    #[error("internal error: the account vanished in its transaction")]
    Vanished,
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl From<WriteRefused> for StoreError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Database(err) => StoreError::Database(err),
            refused => StoreError::Refused(refused),
        }
    }
}

impl HasFailure for StoreError {
    fn failure(&self) -> Failure {
        match self {
            StoreError::Database(err) => err.failure(),
            _ => Failure::Other,
        }
    }
}

/// What an admin (or the CLI) changes.
#[derive(Debug, Clone)]
pub enum Change {
    Role(Role),
    Enabled(bool),
    /// The admin form: both at once.
    RoleAndEnabled {
        role: Role,
        enabled: bool,
    },
    /// A new password hash, which the holder may have to replace at their
    /// next sign-in.
    Password {
        hash: String,
        must_change: bool,
    },
}

#[derive(Debug)]
pub enum ChangeOutcome {
    Saved(Account),
    /// Nothing differs from the stored account: nothing was written.
    Unchanged(Account),
    /// The account changed since the form was opened; nothing was written.
    Stale {
        current: Account,
        missed: Vec<AccountChange>,
    },
    /// The change would leave no enabled admin; nothing was written.
    LastAdmin(Account),
    NotFound,
}

/// Applies `change` to the account `username_key`, if it is still at
/// `seen_version` (`None`: the CLI, which sees the account as it is).
pub async fn change(
    db: &DatabaseConnection,
    actor: &Actor<'_>,
    username_key: &str,
    seen_version: Option<i64>,
    change: Change,
) -> Result<ChangeOutcome, StoreError> {
    retry::write("account change", || {
        change_once(db, actor, username_key, seen_version, change.clone())
    })
    .await
}

async fn change_once(
    db: &DatabaseConnection,
    actor: &Actor<'_>,
    username_key: &str,
    seen_version: Option<i64>,
    change: Change,
) -> Result<ChangeOutcome, StoreError> {
    let txn = begin_write(db).await?;
    // Account changes queue here: the last-admin rule sees every admin.
    lock_instance(&txn).await?;
    if let Actor::Admin { id, .. } = actor {
        writer::recheck(&txn, *id, Role::Admin).await?;
    }
    let Some(current) = registrar::Entity::find()
        .filter(registrar::Column::UsernameKey.eq(username_key))
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(ChangeOutcome::NotFound);
    };
    if seen_version.is_some_and(|seen| seen != current.version) {
        let missed = changes::since(&txn, current.id, seen_version.unwrap_or(0)).await?;
        txn.rollback().await?;
        return Ok(ChangeOutcome::Stale { current, missed });
    }

    let enabled_before = current.disabled_at.is_none();
    let (role, enabled, password) = match change {
        Change::Role(role) => (role, enabled_before, None),
        Change::Enabled(enabled) => (current.role, enabled, None),
        Change::RoleAndEnabled { role, enabled } => (role, enabled, None),
        Change::Password { hash, must_change } => {
            (current.role, enabled_before, Some((hash, must_change)))
        }
    };
    let mut details = Vec::new();
    if role != current.role {
        details.push(("role", format!("role {} → {role}", current.role)));
    }
    if enabled != enabled_before {
        details.push(if enabled {
            ("enabled", "enabled".to_owned())
        } else {
            ("disabled", "disabled".to_owned())
        });
    }
    if let Some((_, must_change)) = &password {
        details.push((
            "password",
            if *must_change {
                "password set; to be replaced at the next sign-in".to_owned()
            } else {
                "password set".to_owned()
            },
        ));
    }
    if details.is_empty() {
        txn.rollback().await?;
        return Ok(ChangeOutcome::Unchanged(current));
    }
    let stops_being_admin =
        current.role == Role::Admin && enabled_before && (role != Role::Admin || !enabled);
    // Whoever has a shell on the server can always make a new admin; the
    // pages must never leave the office without one.
    if stops_being_admin
        && *actor != Actor::CommandLine
        && other_enabled_admins(&txn, current.id).await? == 0
    {
        txn.rollback().await?;
        return Ok(ChangeOutcome::LastAdmin(current));
    }

    let mut update = registrar::Entity::update_many()
        .col_expr(registrar::Column::Role, Expr::value(role))
        .col_expr(
            registrar::Column::Version,
            Expr::col(registrar::Column::Version).add(1),
        );
    if enabled != enabled_before {
        let disabled_at = (!enabled).then(now);
        update = update.col_expr(registrar::Column::DisabledAt, Expr::value(disabled_at));
    }
    if let Some((hash, must_change)) = &password {
        update = update
            .col_expr(registrar::Column::PasswordHash, Expr::value(hash.clone()))
            .col_expr(
                registrar::Column::MustChangePassword,
                Expr::value(*must_change),
            );
    }
    let written = update
        .filter(registrar::Column::Id.eq(current.id))
        .filter(registrar::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if written.rows_affected != 1 {
        txn.rollback().await?;
        let missed = changes::since(db, current.id, current.version).await?;
        return Ok(ChangeOutcome::Stale { current, missed });
    }
    // A disabled account, or one whose password an admin set, keeps no
    // session: whoever held one must sign in again.
    if !enabled || password.is_some() {
        end_sessions(&txn, current.id, None, EndCause::Admin).await?;
    }
    let saved = registrar::Entity::find_by_id(current.id)
        .one(&txn)
        .await?
        .ok_or(StoreError::Vanished)?;
    for (action, detail) in &details {
        changes::record(&txn, &saved, actor, action, detail).await?;
    }
    txn.commit().await?;
    Ok(ChangeOutcome::Saved(saved))
}

async fn other_enabled_admins(txn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    registrar::Entity::find()
        .filter(registrar::Column::Role.eq(Role::Admin))
        .filter(registrar::Column::DisabledAt.is_null())
        .filter(registrar::Column::Id.ne(id))
        .count(txn)
        .await
}

/// Inside `txn`: ends the account's sessions, all but `keep` (a session's
/// digest), each remembered as ended for `cause` (see
/// [`crate::auth::ended`]).
pub async fn end_sessions(
    txn: &impl ConnectionTrait,
    registrar_id: i64,
    keep: Option<&str>,
    cause: EndCause,
) -> Result<u64, DbErr> {
    let mut ending = session::Entity::find()
        .filter(session::Column::RegistrarId.eq(registrar_id))
        .lock_exclusive();
    if let Some(keep) = keep {
        ending = ending.filter(session::Column::TokenHash.ne(keep));
    }
    let sessions = ending.all(txn).await?;
    let at = now();
    ended::retire(txn, &sessions, |_| Ending::new(at, cause)).await
}

/// "Sign out everywhere else": every session of the account but `keep`.
pub async fn end_others(
    db: &DatabaseConnection,
    registrar_id: i64,
    keep: &str,
) -> Result<u64, DbErr> {
    retry::write("sessions end", || async move {
        let txn = begin_write(db).await?;
        let ended = end_sessions(&txn, registrar_id, Some(keep), EndCause::Elsewhere).await?;
        txn.commit().await?;
        Ok(ended)
    })
    .await
}

/// The holder's own new password (the current one already checked): every
/// other session of the account ends, `keep` (this one) stays.
pub async fn change_own_password(
    db: &DatabaseConnection,
    holder: &Actor<'_>,
    keep: &str,
    hash: String,
) -> Result<(), StoreError> {
    retry::write("own password", || {
        change_own_password_once(db, holder, keep, hash.clone())
    })
    .await
}

async fn change_own_password_once(
    db: &DatabaseConnection,
    holder: &Actor<'_>,
    keep: &str,
    hash: String,
) -> Result<(), StoreError> {
    let Actor::Holder { id, .. } = holder else {
        return Err(StoreError::NotHolder);
    };
    let txn = begin_write(db).await?;
    writer::recheck(&txn, *id, Role::Viewer).await?;
    registrar::Entity::update_many()
        .col_expr(registrar::Column::PasswordHash, Expr::value(hash))
        .col_expr(registrar::Column::MustChangePassword, Expr::value(false))
        .col_expr(
            registrar::Column::Version,
            Expr::col(registrar::Column::Version).add(1),
        )
        .filter(registrar::Column::Id.eq(*id))
        .exec(&txn)
        .await?;
    end_sessions(&txn, *id, Some(keep), EndCause::Elsewhere).await?;
    let saved = registrar::Entity::find_by_id(*id)
        .one(&txn)
        .await?
        .ok_or(StoreError::HolderGone)?;
    changes::record(
        &txn,
        &saved,
        holder,
        "password",
        "changed their own password",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Notes a successful sign-in (not a change: the version stays).
pub async fn signed_in(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    let at = now();
    retry::write("sign-in noted", || {
        registrar::Entity::update_many()
            .col_expr(registrar::Column::LastSignInAt, Expr::value(Some(at)))
            .filter(registrar::Column::Id.eq(id))
            .exec(db)
    })
    .await?;
    Ok(())
}

/// Disables the account and ends all its sessions; `false` if there is no
/// such account. The last enabled admin is refused (see
/// [`change`]).
pub async fn disable(db: &DatabaseConnection, username: &Username) -> Result<bool, DbErr> {
    let outcome = change(
        db,
        &Actor::CommandLine,
        &username.key(),
        None,
        Change::Enabled(false),
    )
    .await
    .map_err(|e| match e {
        StoreError::Database(err) => err,
        e => DbErr::Custom(e.to_string()),
    })?;
    match outcome {
        ChangeOutcome::NotFound => Ok(false),
        ChangeOutcome::LastAdmin(_) => Err(DbErr::Custom(
            "the last enabled admin cannot be disabled".to_owned(),
        )),
        _ => Ok(true),
    }
}
