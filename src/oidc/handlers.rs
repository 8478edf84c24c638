//! `GET /login/oidc` and `GET /login/oidc/callback` (contract §14): the
//! authorization-code flow with PKCE (S256), `state` and `nonce` kept in
//! this browser's flow cookie.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, CsrfToken, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, Scope, SignatureVerificationError, TokenResponse as _,
};

use super::flow::{self, Flow};
use super::provider::{Discovered, Provider, error_chain};
use super::views::Refusal;
use crate::accounts::provider::{self as linked, Claimed, SignIn};
use crate::auth::client::PeerAddr;
use crate::auth::handlers::{destination, safe_next, signed_in};
use crate::auth::sessions::{self, MaybeSignedIn};
use crate::auth::throttle;
use crate::db::entities::ended_session::EndCause;
use crate::error::AppError;
use crate::http::cookie;
use crate::http::query::QueryPairs;
use crate::http::redirect::see_other;
use crate::state::AppState;
use crate::views::render;

/// `GET /login/oidc[?next=PATH]`: off to the provider.
pub async fn start(State(state): State<AppState>, pairs: QueryPairs) -> Result<Response, AppError> {
    let Some(provider) = state.oidc.clone() else {
        return Err(AppError::NotFound);
    };
    let next = pairs.get("next").and_then(safe_next).unwrap_or_default();
    let Some(discovered) = provider.available().await else {
        return refused(&state, &provider, Refusal::Unavailable);
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = discovered
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let flow = Flow {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next,
        expires: chrono::Utc::now().timestamp() + flow::LIFETIME_SECS,
    };
    let mut response = see_other(url.as_str());
    flow.cookie()
        .append_to(response.headers_mut(), state.auth.secure_cookies)?;
    Ok(response)
}

/// `GET /login/oidc/callback`: the provider's answer to this browser's
/// flow; the flow's cookie is removed whatever the outcome.
pub async fn callback(
    State(state): State<AppState>,
    MaybeSignedIn(previous): MaybeSignedIn,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let Some(provider) = state.oidc.clone() else {
        return Err(AppError::NotFound);
    };
    let mut response = match answer(&state, &provider, &headers, &pairs).await? {
        Err(refusal) => {
            tracing::info!(?refusal, "university sign-in refused");
            refused(&state, &provider, refusal)?
        }
        Ok((account, next)) => {
            if let Some(previous) = previous {
                sessions::end_for(&state.db, &previous, EndCause::SignedInAgain).await?;
            }
            let client = throttle::client_address(&headers, peer, &state.auth);
            let origin = sessions::Origin::new(client, &headers).at_provider();
            let token = sessions::start(&state.db, account.id, &state.auth, &origin).await?;
            crate::accounts::store::signed_in(&state.db, account.id).await?;
            tracing::info!(registrar = %account.username, "signed in at the identity provider");
            signed_in(&token, &state, &headers, destination(&next))?
        }
    };
    Flow::removal().append_to(response.headers_mut(), state.auth.secure_cookies)?;
    Ok(response)
}

type Answer = Result<(crate::accounts::Account, String), Refusal>;

async fn answer(
    state: &AppState,
    provider: &Provider,
    headers: &HeaderMap,
    pairs: &QueryPairs,
) -> Result<Answer, AppError> {
    let now = chrono::Utc::now().timestamp();
    let Some(flow) = cookie::read(headers, flow::COOKIE).and_then(|v| Flow::read(v, now)) else {
        return Ok(Err(Refusal::NotThisBrowser));
    };
    if pairs.get("state") != Some(flow.state.as_str()) {
        return Ok(Err(Refusal::ForeignState));
    }
    if let Some(error) = pairs.get("error") {
        let code = error
            .chars()
            .take(64)
            .filter(|c| c.is_ascii_graphic())
            .collect();
        return Ok(Err(Refusal::ProviderError(code)));
    }
    // RFC 9207: the answer names the issuer it comes from.
    if pairs
        .get("iss")
        .is_some_and(|iss| iss.trim_end_matches('/') != provider.issuer.as_str())
    {
        return Ok(Err(Refusal::ForeignState));
    }
    let Some(code) = pairs.get("code").filter(|c| !c.is_empty()) else {
        return Ok(Err(Refusal::BadToken));
    };
    let Some(discovered) = provider.available().await else {
        return Ok(Err(Refusal::Unavailable));
    };
    let Ok(exchange) = discovered
        .client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
    else {
        return Ok(Err(Refusal::Unavailable));
    };
    let tokens = match exchange
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(&|request| provider.http.call(request))
        .await
    {
        Ok(tokens) => tokens,
        Err(err) => {
            tracing::info!(error = %error_chain(&err), "the code was not exchanged");
            return Ok(Err(Refusal::BadToken));
        }
    };
    let Some(id_token) = tokens.id_token() else {
        return Ok(Err(Refusal::BadToken));
    };
    let nonce = Nonce::new(flow.nonce.clone());
    let verify = |discovered: &Discovered| {
        id_token
            .claims(&discovered.client.id_token_verifier(), &nonce)
            .cloned()
    };
    let claims = match verify(&discovered) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) if provider.refresh_for_unknown_key().await => match provider.discovered() {
            Some(fresh) => verify(&fresh),
            None => return Ok(Err(Refusal::Unavailable)),
        },
        verified => verified,
    };
    let claims = match claims {
        Ok(claims) => claims,
        Err(err) => {
            tracing::info!(error = %error_chain(&err), "ID token refused");
            return Ok(Err(Refusal::BadToken));
        }
    };
    let subject = claims.subject().as_str();
    if subject.is_empty() || subject.len() > 255 || !subject.is_ascii() {
        return Ok(Err(Refusal::BadToken));
    }
    let Some(role) = provider.roles.role_for(&claims.additional_claims().0) else {
        return Ok(Err(Refusal::NoRole {
            claims: provider.roles.claims().join(", "),
        }));
    };
    let claimed = Claimed {
        issuer: provider.issuer.as_str(),
        subject,
        preferred_username: claims.preferred_username().map(|u| u.as_str()),
        role,
    };
    match linked::sign_in(&state.db, &claimed).await? {
        SignIn::Disabled => Ok(Err(Refusal::Disabled)),
        SignIn::Account(account) => Ok(Ok((account, flow.next))),
    }
}

fn refused(state: &AppState, provider: &Provider, refusal: Refusal) -> Result<Response, AppError> {
    let _ = state;
    render(refusal.status(), &refusal.page(&provider.name))
}
