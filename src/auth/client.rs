//! Who is asking: the client's address, as sign-in throttling counts it
//! and the sessions page shows it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::policy::AuthPolicy;

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
/// else the connection's peer; an IPv6 address by its /64 (how sign-in
/// failures are counted).
pub fn client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    policy: &AuthPolicy,
) -> String {
    match forwarded(headers, policy) {
        Some(address) => address
            .parse::<IpAddr>()
            .map_or_else(|_| storable(address), network),
        None => peer.map_or_else(|| "unknown".to_owned(), |addr| network(addr.ip())),
    }
}

/// The client's address read as [`client_address`] reads it, but whole
/// (an IPv6 address not cut to its /64): what the access log records.
pub fn exact_client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    policy: &AuthPolicy,
) -> String {
    match forwarded(headers, policy) {
        Some(address) => address
            .parse::<IpAddr>()
            .map_or_else(|_| storable(address), |ip| unmapped(ip).to_string()),
        None => peer.map_or_else(
            || "unknown".to_owned(),
            |addr| unmapped(addr.ip()).to_string(),
        ),
    }
}

/// The last entry of the trusted proxy's header, when one is configured.
fn forwarded<'h>(headers: &'h HeaderMap, policy: &AuthPolicy) -> Option<&'h str> {
    let header = policy.client_ip_header.as_ref()?;
    headers
        .get_all(header)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// At most 64 characters, none of them control characters.
pub(super) fn storable(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// The address failures are counted under: IPv4 as is, IPv6 by its /64,
/// which one subscriber usually holds whole.
fn network(ip: IpAddr) -> String {
    match unmapped(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{client_address, exact_client_address, network};
    use crate::auth::AuthPolicy;
    use axum::http::{HeaderMap, HeaderName, HeaderValue};

    #[test]
    fn the_access_log_reads_the_same_client_whole() {
        let peer = "[2001:db8:1:2:aaaa::1]:5000".parse().ok();
        let mut policy =
            AuthPolicy::from_settings(&crate::config::Settings::for_tests("sqlite::memory:"));
        let headers = HeaderMap::new();
        assert_eq!(
            exact_client_address(&headers, peer, &policy),
            "2001:db8:1:2:aaaa::1"
        );
        assert_eq!(client_address(&headers, peer, &policy), "2001:db8:1:2::/64");
        // Behind the trusted proxy: its header's last entry.
        policy.client_ip_header = Some(HeaderName::from_static("x-forwarded-for"));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.1, ::ffff:203.0.113.7"),
        );
        assert_eq!(exact_client_address(&headers, peer, &policy), "203.0.113.7");
    }

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
