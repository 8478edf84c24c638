//! The university's identity provider as registrar knows it: its discovery
//! document and keys, fetched at start and again when they may have
//! changed (a key we do not know, every hour), never more often than the
//! refresh interval; an unreachable provider leaves registrar running and
//! is tried again.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, Client, ClientId, ClientSecret, EmptyExtraTokenFields, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, RedirectUrl,
    StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use super::http::HttpClient;
use super::roles::RoleMap;
use crate::config::OidcSettings;

/// Every claim of the ID token beyond the standard ones, for the role map
/// (`groups`, `roles`, whatever the provider calls them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims(pub serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

pub type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// The protocol client, set up from the discovery document.
pub type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How often the discovery document and keys are fetched anyway.
const ROUTINE_REFRESH: Duration = Duration::from_secs(3600);

/// What `--oidc-…` says is wrong, found before serving.
#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error("--oidc-issuer: {0}")]
    Issuer(String),
    #[error("--oidc-issuer needs --oidc-client-id, a client secret and --oidc-redirect-url")]
    Incomplete,
    #[error("--oidc-client-secret-file: {0}")]
    SecretFile(std::io::Error),
    #[error("--oidc-redirect-url: not a URL")]
    RedirectUrl,
    #[error("--oidc-roles: {0}")]
    Roles(String),
    #[error("cannot make an HTTP client: {0}")]
    Http(String),
}

/// The discovered provider.
#[derive(Clone)]
pub struct Discovered {
    pub client: OidcClient,
    pub end_session: Option<EndSessionUrl>,
}

struct Known {
    discovered: Option<Discovered>,
    /// When the last fetch was tried (successful or not).
    tried_at: Option<Instant>,
}

/// The configured identity provider.
pub struct Provider {
    pub issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    pub redirect_url: RedirectUrl,
    pub roles: RoleMap,
    /// The sign-in button's words.
    pub name: String,
    refresh_every: Duration,
    pub http: HttpClient,
    known: RwLock<Known>,
    /// One fetch at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl Provider {
    /// The provider `--oidc-…` describes, if any; nothing is fetched yet.
    pub fn from_settings(settings: &OidcSettings) -> Result<Option<Arc<Self>>, OidcConfigError> {
        let Some(issuer) = &settings.oidc_issuer else {
            return Ok(None);
        };
        let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_owned())
            .map_err(|err| OidcConfigError::Issuer(err.to_string()))?;
        check_scheme(issuer.url())?;
        let secret = match (
            &settings.oidc_client_secret_file,
            &settings.oidc_client_secret,
        ) {
            (Some(file), _) => {
                let text = std::fs::read_to_string(file).map_err(OidcConfigError::SecretFile)?;
                Some(text.lines().next().unwrap_or_default().trim().to_owned())
            }
            (None, secret) => secret.clone(),
        };
        let (Some(client_id), Some(secret), Some(redirect)) = (
            settings.oidc_client_id.clone(),
            secret.filter(|s| !s.is_empty()),
            settings.oidc_redirect_url.clone(),
        ) else {
            return Err(OidcConfigError::Incomplete);
        };
        let redirect_url = RedirectUrl::new(redirect).map_err(|_| OidcConfigError::RedirectUrl)?;
        let roles = RoleMap::parse(settings.oidc_roles.as_deref().unwrap_or_default())
            .map_err(OidcConfigError::Roles)?;
        Ok(Some(Arc::new(Provider {
            issuer,
            client_id: ClientId::new(client_id),
            client_secret: ClientSecret::new(secret),
            redirect_url,
            roles,
            name: settings.oidc_name.clone(),
            refresh_every: Duration::from_secs(settings.oidc_refresh_secs),
            http: HttpClient::new().map_err(|err| OidcConfigError::Http(err.to_string()))?,
            known: RwLock::new(Known {
                discovered: None,
                tried_at: None,
            }),
            fetching: tokio::sync::Mutex::new(()),
        })))
    }

    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The provider as last discovered, if it ever answered.
    pub fn discovered(&self) -> Option<Discovered> {
        self.known.read().ok()?.discovered.clone()
    }

    /// The discovered provider, fetching it first if it never answered and
    /// the last try is older than the refresh interval.
    pub async fn available(&self) -> Option<Discovered> {
        match self.discovered() {
            Some(discovered) => Some(discovered),
            None => {
                self.refresh_if_due(self.refresh_every).await;
                self.discovered()
            }
        }
    }

    /// Fetches the discovery document and keys again when an ID token names
    /// a key we do not know; `true` when they were fetched.
    pub async fn refresh_for_unknown_key(&self) -> bool {
        self.refresh_if_due(self.refresh_every).await
    }

    /// Fetches again if the last try is older than `due`; `true` when a
    /// fetch succeeded.
    async fn refresh_if_due(&self, due: Duration) -> bool {
        let _one = self.fetching.lock().await;
        let tried_at = self.known.read().ok().and_then(|k| k.tried_at);
        if tried_at.is_some_and(|at| at.elapsed() < due) {
            return false;
        }
        let fetched = self.fetch().await;
        let Ok(mut known) = self.known.write() else {
            return false;
        };
        known.tried_at = Some(Instant::now());
        match fetched {
            Ok(discovered) => {
                known.discovered = Some(discovered);
                true
            }
            Err(err) => {
                // What was known stays in use: keys rarely all change at once.
                tracing::warn!(issuer = %self.issuer.as_str(), error = %err, "identity provider unreachable");
                false
            }
        }
    }

    async fn fetch(&self) -> Result<Discovered, String> {
        let metadata = openidconnect::ProviderMetadataWithLogout::discover_async(
            self.issuer.clone(),
            &|request| self.http.call(request),
        )
        .await
        .map_err(|err| error_chain(&err))?;
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()
            .filter(|url| check_scheme(url.url()).is_ok());
        let client = OidcClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect_url.clone());
        tracing::info!(issuer = %self.issuer.as_str(), "identity provider discovered");
        Ok(Discovered {
            client,
            end_session,
        })
    }

    /// Fetches at start, then every hour, and every refresh interval while
    /// the provider does not answer; runs until aborted.
    pub async fn keep_fresh(self: Arc<Self>) {
        loop {
            let due = match self.discovered() {
                Some(_) => ROUTINE_REFRESH,
                None => self.refresh_every,
            };
            self.refresh_if_due(due).await;
            tokio::time::sleep(self.refresh_every.max(Duration::from_secs(1))).await;
        }
    }
}

/// The provider's [`Provider::keep_fresh`], running until dropped (when the
/// server stops).
pub struct Refresher(tokio::task::JoinHandle<()>);

impl Refresher {
    /// Fetches the discovery document and keys now, and keeps them fresh.
    pub fn start(provider: Arc<Provider>) -> Self {
        Refresher(tokio::spawn(provider.keep_fresh()))
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `https://`, or `http://` to a loopback address (tests).
fn check_scheme(url: &url::Url) -> Result<(), OidcConfigError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(OidcConfigError::Issuer(
            "http:// is accepted on a loopback address only; use https://".to_owned(),
        )),
        _ => Err(OidcConfigError::Issuer("not an https:// URL".to_owned())),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// An error with its causes, for the log.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::check_scheme;

    #[test]
    fn plain_http_is_accepted_on_loopback_only() {
        for fine in [
            "https://login.example.edu/realms/staff",
            "http://127.0.0.1:8080",
            "http://[::1]:9000/x",
            "http://localhost:4000",
        ] {
            assert!(check_scheme(&fine.parse().unwrap()).is_ok(), "{fine}");
        }
        for bad in [
            "http://login.example.edu",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
        ] {
            assert!(check_scheme(&bad.parse().unwrap()).is_err(), "{bad}");
        }
    }
}
