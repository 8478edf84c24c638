//! Sign-in throttling: after too many failures in a sliding window, per
//! username or per client address, attempts are refused with `429` until
//! the oldest counted failure leaves the window. Kept in the database so
//! that every app instance counts the same failures.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::policy::{AuthPolicy, Throttle};
use crate::db::entities::login_failure;
use crate::db::now;

/// A sign-in attempt, counted as a failure from the moment it starts, so
/// that attempts made at once cannot all slip under the limit; a success
/// takes it back ([`forget`]).
pub struct Attempt {
    id: i64,
}

/// Records the attempt, then: `Ok(Err(seconds))` when earlier failures
/// already fill the window for this username or client (the attempt is
/// then dropped, so waiting it out is not extended), else `Ok(Ok(attempt))`.
pub async fn begin(
    db: &impl ConnectionTrait,
    throttle: &Throttle,
    username_key: &str,
    client: &str,
) -> Result<Result<Attempt, u64>, DbErr> {
    let (username_key, client) = (storable(username_key), storable(client));
    let inserted = login_failure::Entity::insert(login_failure::ActiveModel {
        id: NotSet,
        username_key: Set(username_key.clone()),
        client_addr: Set(client.clone()),
        at: Set(now()),
    })
    .exec(db)
    .await?;
    let attempt = Attempt {
        id: inserted.last_insert_id,
    };
    let mut longest = None;
    for (column, key, limit) in [
        (
            login_failure::Column::UsernameKey,
            &username_key,
            throttle.per_username,
        ),
        (
            login_failure::Column::ClientAddr,
            &client,
            throttle.per_client,
        ),
    ] {
        longest = longest.max(wait(db, throttle, column, key, limit).await?);
    }
    match longest {
        Some(seconds) => {
            login_failure::Entity::delete_by_id(attempt.id)
                .exec(db)
                .await?;
            Ok(Err(seconds))
        }
        None => Ok(Ok(attempt)),
    }
}

/// With this attempt counted: when more than `limit` failures of `key` lie
/// in the window, the wait until the `limit + 1`-th most recent leaves it.
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
        .order_by_desc(login_failure::Column::Id)
        .offset(limit)
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

/// At most 64 characters, none of them control characters.
fn storable(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// Forgets a username's failures (this attempt's too) once its registrar
/// has signed in.
pub async fn forget(
    db: &impl ConnectionTrait,
    _attempt: Attempt,
    username_key: &str,
) -> Result<(), DbErr> {
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
            return address
                .parse::<IpAddr>()
                .map_or_else(|_| storable(address), network);
        }
    }
    peer.map_or_else(|| "unknown".to_owned(), |addr| network(addr.ip()))
}

/// The address failures are counted under: IPv4 as is, IPv6 by its /64,
/// which one subscriber usually holds whole.
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::network;

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64() {
        assert_eq!(network("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(
            network("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            network("2001:db8:1:2:ffff::9".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            network("::ffff:203.0.113.7".parse().unwrap()),
            "203.0.113.7"
        );
    }
}
