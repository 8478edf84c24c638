//! The second factor as stored: turning it on and off, accepting a code
//! once, using a recovery code once. Every "once" is one conditional
//! `UPDATE` whose row count says whether this request won, so every
//! instance on the database agrees.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::totp::SharedSecret;
use crate::accounts::changes::{self, Actor};
use crate::accounts::store::StoreError;
use crate::auth::tokens::digest;
use crate::auth::writer;
use crate::cluster::retry;
use crate::db::entities::{recovery_code, registrar, two_factor_secret};
use crate::db::{begin_write, now};
use crate::domain::Role;

/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (without its dash): 50 random bits.
const RECOVERY_CHARS: usize = 10;
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// The account's second factor, if it is on.
pub async fn find(
    db: &impl ConnectionTrait,
    registrar_id: i64,
) -> Result<Option<two_factor_secret::Model>, DbErr> {
    two_factor_secret::Entity::find_by_id(registrar_id)
        .one(db)
        .await
}

/// Whether the account has a second factor.
pub async fn is_on(db: &impl ConnectionTrait, registrar_id: i64) -> Result<bool, DbErr> {
    Ok(find(db, registrar_id).await?.is_some())
}

/// How the holder's own change went.
#[derive(Debug, PartialEq, Eq)]
pub enum Turned {
    Done,
    /// Nothing to do: it was already so.
    Already,
}

/// Turns the second factor on with `secret`, whose code of `step` the
/// holder just typed (that step is used up). Recovery codes are issued
/// separately ([`issue_recovery_codes`]), to be shown once.
pub async fn turn_on(
    db: &DatabaseConnection,
    holder: &Actor<'_>,
    registrar_id: i64,
    secret: &SharedSecret,
    step: u64,
) -> Result<Turned, StoreError> {
    retry::write("two-factor on", || async move {
        let txn = begin_write(db).await?;
        writer::recheck(&txn, registrar_id, Role::Viewer).await?;
        if is_on(&txn, registrar_id).await? {
            txn.rollback().await?;
            return Ok(Turned::Already);
        }
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::RegistrarId.eq(registrar_id))
            .exec(&txn)
            .await?;
        two_factor_secret::Entity::insert(two_factor_secret::ActiveModel {
            registrar_id: Set(registrar_id),
            secret: Set(secret.as_str().to_owned()),
            enabled_at: Set(now()),
            last_step: Set(Some(i64::try_from(step).unwrap_or(i64::MAX))),
        })
        .exec_without_returning(&txn)
        .await?;
        note_change(&txn, registrar_id, holder, "two-factor sign-in turned on").await?;
        txn.commit().await?;
        Ok(Turned::Done)
    })
    .await
}

/// The ten recovery codes of an account whose second factor is on and
/// has none yet: made, stored as digests, and returned to be shown this
/// once. `None` when it is off or they were issued already.
pub async fn issue_recovery_codes(
    db: &DatabaseConnection,
    registrar_id: i64,
) -> Result<Option<Vec<String>>, DbErr> {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    retry::write("recovery codes", || {
        let codes = codes.clone();
        async move {
            let txn = begin_write(db).await?;
            let on = two_factor_secret::Entity::find_by_id(registrar_id)
                .lock_exclusive()
                .one(&txn)
                .await?;
            let issued = recovery_code::Entity::find()
                .filter(recovery_code::Column::RegistrarId.eq(registrar_id))
                .count(&txn)
                .await?;
            if on.is_none() || issued > 0 {
                txn.rollback().await?;
                return Ok(None);
            }
            let rows = codes.iter().map(|code| recovery_code::ActiveModel {
                id: NotSet,
                registrar_id: Set(registrar_id),
                code_hash: Set(digest(&normalised(code))),
                used_at: Set(None),
            });
            recovery_code::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
            txn.commit().await?;
            Ok(Some(codes))
        }
    })
    .await
}

/// Recovery codes not used yet.
pub async fn unused_recovery_codes(
    db: &impl ConnectionTrait,
    registrar_id: i64,
) -> Result<u64, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::RegistrarId.eq(registrar_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The current code, never accepted before.
    Code,
    /// An unused recovery code, now used.
    RecoveryCode,
}

/// Accepts `typed` for the account at most once: a current code of a
/// step later than the last accepted one, or an unused recovery code.
pub async fn accept(
    db: &DatabaseConnection,
    registrar_id: i64,
    typed: &str,
    unix_now: u64,
) -> Result<Option<Accepted>, DbErr> {
    let Some(row) = find(db, registrar_id).await? else {
        return Ok(None);
    };
    let Some(secret) = SharedSecret::parse(&row.secret) else {
        return Ok(None);
    };
    if let Some(step) = secret.step_of(typed, unix_now) {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let written = retry::write("two-factor step", || {
            two_factor_secret::Entity::update_many()
                .col_expr(two_factor_secret::Column::LastStep, Expr::value(step))
                .filter(two_factor_secret::Column::RegistrarId.eq(registrar_id))
                .filter(
                    Condition::any()
                        .add(two_factor_secret::Column::LastStep.is_null())
                        .add(two_factor_secret::Column::LastStep.lt(step)),
                )
                .exec(db)
        })
        .await?;
        return Ok((written.rows_affected == 1).then_some(Accepted::Code));
    }
    let hash = digest(&normalised(typed));
    let at = now();
    let written = retry::write("recovery code", || {
        recovery_code::Entity::update_many()
            .col_expr(recovery_code::Column::UsedAt, Expr::value(Some(at)))
            .filter(recovery_code::Column::RegistrarId.eq(registrar_id))
            .filter(recovery_code::Column::CodeHash.eq(hash.as_str()))
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(db)
    })
    .await?;
    Ok((written.rows_affected == 1).then_some(Accepted::RecoveryCode))
}

/// Turns the second factor off: by its holder (who proved password and
/// code) or by an admin (a reset, for a lost phone). Recorded in the
/// account's changes.
pub async fn turn_off(
    db: &DatabaseConnection,
    actor: &Actor<'_>,
    registrar_id: i64,
) -> Result<Turned, StoreError> {
    retry::write("two-factor off", || async move {
        let txn = begin_write(db).await?;
        let detail = match actor {
            Actor::Admin { id, .. } => {
                writer::recheck(&txn, *id, Role::Admin).await?;
                "two-factor sign-in reset by an admin"
            }
            _ => {
                writer::recheck(&txn, registrar_id, Role::Viewer).await?;
                "two-factor sign-in turned off"
            }
        };
        let removed = two_factor_secret::Entity::delete_many()
            .filter(two_factor_secret::Column::RegistrarId.eq(registrar_id))
            .exec(&txn)
            .await?;
        if removed.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(Turned::Already);
        }
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::RegistrarId.eq(registrar_id))
            .exec(&txn)
            .await?;
        note_change(&txn, registrar_id, actor, detail).await?;
        txn.commit().await?;
        Ok(Turned::Done)
    })
    .await
}

/// Raises the account's version (an open admin form of it is stale now)
/// and records the change.
async fn note_change(
    txn: &impl ConnectionTrait,
    registrar_id: i64,
    actor: &Actor<'_>,
    detail: &str,
) -> Result<(), DbErr> {
    registrar::Entity::update_many()
        .col_expr(
            registrar::Column::Version,
            Expr::col(registrar::Column::Version).add(1),
        )
        .filter(registrar::Column::Id.eq(registrar_id))
        .exec(txn)
        .await?;
    let account = registrar::Entity::find_by_id(registrar_id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the account".to_owned()))?;
    changes::record(txn, &account, actor, "two-factor", detail).await
}

/// `abcde-fghij`: ten characters without look-alikes (no 0/o, 1/l).
fn new_recovery_code() -> String {
    let mut bytes = [0_u8; RECOVERY_CHARS];
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    let chars: String = bytes
        .iter()
        .map(|b| char::from(RECOVERY_ALPHABET[usize::from(b % 32)]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// A recovery code as typed, compared without spaces, dashes or case.
fn normalised(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::{new_recovery_code, normalised};

    #[test]
    fn recovery_codes_are_random_and_typed_loosely() {
        let (a, b) = (new_recovery_code(), new_recovery_code());
        assert_ne!(a, b);
        assert_eq!(a.len(), 11);
        assert_eq!(&a[5..6], "-");
        assert_eq!(
            normalised(&a.to_uppercase().replace('-', " ")),
            normalised(&a)
        );
    }
}
