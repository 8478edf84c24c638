//! Where a session was started from: the client's address and browser,
//! as its owner sees them on `/account`, and whether it began at the
//! university's identity provider.

use axum::http::HeaderMap;

/// Where a session was started from, as its owner sees it on `/account`.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub client_addr: String,
    pub user_agent: String,
    /// Signed in with the university's identity provider (contract §14).
    pub began_at_provider: bool,
}

impl Origin {
    /// The client's address (as the throttle counts it) and browser.
    pub fn new(client_addr: String, headers: &HeaderMap) -> Self {
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        Origin {
            client_addr: client_addr.chars().take(64).collect(),
            user_agent,
            began_at_provider: false,
        }
    }

    /// The same origin, for a sign-in at the identity provider.
    pub fn at_provider(self) -> Self {
        Origin {
            began_at_provider: true,
            ..self
        }
    }
}
