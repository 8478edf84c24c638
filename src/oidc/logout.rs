//! Signing out of a session that began at the provider ends the provider's
//! session too, where it offers `end_session_endpoint` (OpenID Connect
//! RP-Initiated Logout): the browser is sent there, and back to `/login`.

use openidconnect::{LogoutRequest, PostLogoutRedirectUrl};

use super::Provider;
use crate::state::AppState;

/// After a session ended: the provider's end-session address when the
/// session began there (`at_provider`) and the provider offers one.
pub fn provider_logout(state: &AppState, at_provider: bool) -> Option<String> {
    provider_logout_url(state.oidc.as_deref().filter(|_| at_provider)?)
}

/// Where to send the browser after our session ended, if the provider
/// offers to end its own: its `end_session_endpoint`, naming us and our
/// `/login` (the origin of `--oidc-redirect-url`) to come back to.
pub fn provider_logout_url(provider: &Provider) -> Option<String> {
    let end_session = provider.discovered()?.end_session?;
    let mut back = provider.redirect_url.url().clone();
    back.set_path("/login");
    back.set_query(None);
    let back = PostLogoutRedirectUrl::new(back.to_string()).ok()?;
    Some(
        LogoutRequest::from(end_session)
            .set_client_id(provider.client_id().clone())
            .set_post_logout_redirect_uri(back)
            .http_get_url()
            .to_string(),
    )
}
