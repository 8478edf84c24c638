//! How sessions, cookies and sign-in throttling behave: read once from the
//! settings, shared by every request.

use std::time::Duration;

use axum::http::HeaderName;

use crate::config::{PasswordSignIn, Settings};

/// How sessions, cookies and sign-in throttling behave.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// Every cookie registrar sets is `Secure` (`--secure-cookies`).
    pub secure_cookies: bool,
    pub session_idle: chrono::Duration,
    pub session_lifetime: chrono::Duration,
    pub client_ip_header: Option<HeaderName>,
    pub throttle: Throttle,
    /// API tokens: their longest lifetime and the wrong-token throttle.
    pub tokens: TokenPolicy,
    /// `--require-two-factor`: password accounts set up a second factor
    /// before any other page opens.
    pub require_two_factor: bool,
    /// Whether passwords sign anyone in (`--password-sign-in`), and the
    /// accounts they still sign in when not (`--break-glass`, username keys).
    pub passwords: PasswordSignIn,
    pub break_glass: Vec<String>,
}

/// How API tokens behave (contract §13).
#[derive(Debug, Clone, Copy)]
pub struct TokenPolicy {
    /// The longest lifetime a new token may be given, in days
    /// (`--max-token-days`).
    pub max_days: u32,
    pub throttle: TokenThrottle,
}

/// Wrong API tokens allowed from one client address in a sliding window
/// before further wrong ones are answered `429` (see
/// [`crate::api_tokens::throttle`]). Counted apart from sign-ins.
#[derive(Debug, Clone, Copy)]
pub struct TokenThrottle {
    pub window: Duration,
    pub per_client: u64,
}

impl Default for TokenThrottle {
    fn default() -> Self {
        TokenThrottle {
            window: Duration::from_secs(10 * 60),
            per_client: 100,
        }
    }
}

/// Failed sign-ins allowed in a sliding window before further attempts
/// are refused with `429` (see [`crate::auth::throttle`]).
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub window: Duration,
    /// For one username from one client address.
    pub per_username: u64,
    /// From one client address, whatever the usernames.
    pub per_client: u64,
    /// For one username, from every address together.
    pub per_account: u64,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            window: Duration::from_secs(10 * 60),
            per_username: 5,
            per_client: 30,
            per_account: 100,
        }
    }
}

impl AuthPolicy {
    /// Whether a password may sign in the account `username_key`.
    pub fn password_allowed_for(&self, username_key: &str) -> bool {
        self.passwords == PasswordSignIn::On || self.break_glass.iter().any(|k| k == username_key)
    }

    pub fn from_settings(settings: &Settings) -> Self {
        AuthPolicy {
            secure_cookies: settings.secure_cookies,
            session_idle: chrono::Duration::minutes(i64::from(
                settings.session_idle_minutes.max(1),
            )),
            session_lifetime: chrono::Duration::hours(i64::from(settings.session_max_hours.max(1))),
            client_ip_header: settings
                .client_ip_header
                .as_deref()
                .and_then(|h| HeaderName::try_from(h).ok()),
            throttle: Throttle::default(),
            tokens: TokenPolicy {
                max_days: settings.max_token_days.max(1),
                throttle: TokenThrottle::default(),
            },
            require_two_factor: settings.require_two_factor,
            passwords: settings.oidc.password_sign_in,
            break_glass: settings
                .oidc
                .break_glass
                .iter()
                .map(|name| name.trim().to_lowercase())
                .collect(),
        }
    }
}
