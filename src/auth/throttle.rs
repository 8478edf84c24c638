//! Sign-in throttling: after too many failures in a sliding window, per
//! username or per client address, attempts are refused with `429` until
//! the oldest counted failure leaves the window. Kept in the database so
//! that every app instance counts the same failures.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::login_failure;
use crate::db::now;
use crate::state::{AuthPolicy, Throttle};

/// Seconds to wait before another attempt is allowed, or `None` if one is
/// allowed now.
pub async fn retry_after(
    db: &impl ConnectionTrait,
    throttle: &Throttle,
    username_key: &str,
    client: &str,
) -> Result<Option<u64>, DbErr> {
    let by_user = wait(
        db,
        throttle,
        login_failure::Column::UsernameKey,
        username_key,
        throttle.per_username,
    )
    .await?;
    let by_client = wait(
        db,
        throttle,
        login_failure::Column::ClientAddr,
        client,
        throttle.per_client,
    )
    .await?;
    Ok(by_user.max(by_client))
}

/// When `limit` failures of `key` lie in the window, the wait until the
/// `limit`-th most recent leaves it.
async fn wait(
    db: &impl ConnectionTrait,
    throttle: &Throttle,
    column: login_failure::Column,
    key: &str,
    limit: u64,
) -> Result<Option<u64>, DbErr> {
    let window =
        chrono::Duration::from_std(throttle.window).unwrap_or(chrono::Duration::minutes(10));
    let at = now();
    let limiting = login_failure::Entity::find()
        .filter(column.eq(key))
        .filter(login_failure::Column::At.gt(at - window))
        .order_by_desc(login_failure::Column::At)
        .offset(limit.saturating_sub(1))
        .limit(1)
        .one(db)
        .await?;
    Ok(limiting.map(|failure| {
        let free_at = failure.at + window;
        u64::try_from((free_at - at).num_seconds())
            .unwrap_or(0)
            .max(1)
    }))
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    username_key: &str,
    client: &str,
) -> Result<(), DbErr> {
    login_failure::Entity::insert(login_failure::ActiveModel {
        id: NotSet,
        username_key: Set(storable(username_key)),
        client_addr: Set(storable(client)),
        at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// At most 64 characters, none of them control characters.
fn storable(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// Forgets a username's failures once its registrar has signed in.
pub async fn forget(db: &impl ConnectionTrait, username_key: &str) -> Result<(), DbErr> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::UsernameKey.eq(storable(username_key)))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes failures that no window counts any more.
pub async fn sweep(db: &impl ConnectionTrait, throttle: &Throttle) -> Result<u64, DbErr> {
    let window =
        chrono::Duration::from_std(throttle.window).unwrap_or(chrono::Duration::minutes(10));
    let result = login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lte(now() - window))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The connection's peer address, when the server records it.
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr),
        ))
    }
}

/// The client's address: from the configured proxy header's last entry,
/// else the connection's peer.
pub fn client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    policy: &AuthPolicy,
) -> String {
    if let Some(header) = &policy.client_ip_header {
        let forwarded = headers
            .get_all(header)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return address.chars().take(64).collect();
        }
    }
    peer.map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
}
