//! The sign-in flow's cookie: what the callback needs to accept only the
//! answer to a flow this browser started (`state`), to check the ID token
//! was issued for it (`nonce`), to redeem the code (the PKCE verifier), and
//! where to go afterwards. It lives for the flow only: ten minutes at most,
//! removed by the callback whatever its outcome. `SameSite=Lax`, because a
//! `Strict` cookie is not sent with the provider's redirect back.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::http::cookie::{SameSite, SetCookie};

pub const COOKIE: &str = "registrar_oidc_flow";

/// How long a flow may take at the provider, in seconds.
pub const LIFETIME_SECS: i64 = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// A local path (already checked), or empty.
    pub next: String,
    /// Unix seconds after which the flow is refused.
    pub expires: i64,
}

impl Flow {
    pub fn cookie(&self) -> SetCookie {
        let json = serde_json::to_vec(self).unwrap_or_default();
        SetCookie::new(COOKIE, URL_SAFE_NO_PAD.encode(json))
            .same_site(SameSite::Lax)
            .max_age(LIFETIME_SECS)
    }

    /// The flow a cookie's value holds, if it is one and not expired.
    pub fn read(value: &str, now: i64) -> Option<Flow> {
        let json = URL_SAFE_NO_PAD.decode(value.as_bytes()).ok()?;
        let flow: Flow = serde_json::from_slice(&json).ok()?;
        (flow.expires > now && !flow.state.is_empty()).then_some(flow)
    }

    pub fn removal() -> SetCookie {
        SetCookie::removal(COOKIE).same_site(SameSite::Lax)
    }
}

#[cfg(test)]
mod tests {
    use super::{Flow, LIFETIME_SECS};

    fn flow() -> Flow {
        Flow {
            state: "s".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            next: "/students/3".into(),
            expires: 1_000 + LIFETIME_SECS,
        }
    }

    /// A `Strict` cookie would not come back with the provider's redirect
    /// in a real browser (a cross-site navigation); tests on loopback could
    /// not see that, so the attributes are held here.
    #[test]
    fn the_flow_cookie_is_http_only_lax_and_lives_for_the_flow_only() {
        let header = flow().cookie().header(true).unwrap();
        let header = header.to_str().unwrap();
        assert!(header.starts_with("registrar_oidc_flow="), "{header}");
        for attribute in [
            "; Path=/",
            "; Max-Age=600",
            "; HttpOnly",
            "; SameSite=Lax",
            "; Secure",
        ] {
            assert!(header.contains(attribute), "{attribute} in {header}");
        }
        assert!(!header.contains("Strict") && !header.contains("Expires"));
        let removal = Flow::removal().header(false).unwrap();
        assert!(
            removal
                .to_str()
                .unwrap()
                .contains("Max-Age=0; HttpOnly; SameSite=Lax")
        );
    }

    #[test]
    fn the_cookie_reads_back_until_it_expires() {
        let cookie = flow().cookie().header(false).unwrap();
        let value = cookie.to_str().unwrap();
        let value = value["registrar_oidc_flow=".len()..]
            .split(';')
            .next()
            .unwrap();
        assert_eq!(Flow::read(value, 1_000), Some(flow()));
        assert_eq!(Flow::read(value, 1_000 + LIFETIME_SECS), None);
        assert_eq!(Flow::read("not-a-flow", 1_000), None);
        assert_eq!(Flow::read("", 1_000), None);
    }
}
