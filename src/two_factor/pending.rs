//! The second step of a password sign-in: a right password waiting for
//! its second factor, bound to the browser by a cookie (a random token;
//! the table keeps its SHA-256), stored in the database so that every
//! instance knows it, expiring after five minutes. No session exists
//! until the step is done.

use axum::http::HeaderMap;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::auth::tokens::{digest, random_token};
use crate::cluster::retry;
use crate::db::entities::two_factor_step;
use crate::db::now;
use crate::http::cookie::{self, SetCookie};

/// The cookie naming this browser's step.
pub const COOKIE: &str = "registrar_two_factor";

/// How long the second step waits for its code.
pub const LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// A step in progress.
pub type Step = two_factor_step::Model;

/// Starts the second step for the account; returns the cookie that binds
/// it to this browser.
pub async fn start(
    db: &DatabaseConnection,
    registrar_id: i64,
    next: &str,
) -> Result<SetCookie, DbErr> {
    let token = random_token();
    let at = now();
    sweep(db).await?;
    retry::write("two-factor step start", || {
        two_factor_step::Entity::insert(two_factor_step::ActiveModel {
            token_hash: sea_orm::ActiveValue::Set(digest(&token)),
            registrar_id: sea_orm::ActiveValue::Set(registrar_id),
            next: sea_orm::ActiveValue::Set(next.to_owned()),
            created_at: sea_orm::ActiveValue::Set(at),
            expires_at: sea_orm::ActiveValue::Set(at + LIFETIME),
        })
        .exec_without_returning(db)
    })
    .await?;
    Ok(SetCookie::new(COOKIE, token).max_age(LIFETIME.num_seconds()))
}

/// This browser's step, if it has one that has not expired.
pub async fn find(db: &DatabaseConnection, headers: &HeaderMap) -> Result<Option<Step>, DbErr> {
    let Some(token) = cookie::read(headers, COOKIE).filter(|t| t.len() == 43) else {
        return Ok(None);
    };
    let step = two_factor_step::Entity::find_by_id(digest(token))
        .one(db)
        .await?;
    Ok(step.filter(|s| now() < s.expires_at))
}

/// Ends the step; `false` if another request ended it first (then that
/// one signs in, not this).
pub async fn finish(db: &DatabaseConnection, step: &Step) -> Result<bool, DbErr> {
    let removed = retry::write("two-factor step end", || {
        two_factor_step::Entity::delete_by_id(step.token_hash.clone()).exec(db)
    })
    .await?;
    Ok(removed.rows_affected == 1)
}

/// The cookie that removes this browser's step.
pub fn removal() -> SetCookie {
    SetCookie::removal(COOKIE)
}

/// Deletes expired steps.
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let removed = two_factor_step::Entity::delete_many()
        .filter(two_factor_step::Column::ExpiresAt.lte(now()))
        .exec(db)
        .await?;
    Ok(removed.rows_affected)
}
