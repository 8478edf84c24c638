//! The HTTP client the protocol crate talks to the provider through:
//! hyper's client over rustls (ring, the system's CA certificates), given
//! its TLS provider directly (nothing installed for the whole process);
//! no redirects followed (the protocol's answers are never redirects, and
//! following them would let an answer point registrar anywhere); short
//! timeouts and a bounded answer.

use std::future::Future;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("request failed: {0}")]
    Request(#[from] hyper_util::client::legacy::Error),
    #[error("reading the answer: {0}")]
    Body(String),
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
}

#[derive(Clone)]
pub struct HttpClient(Client<HttpsConnector<HttpConnector>, Full<axum::body::Bytes>>);

/// The largest answer read from the provider (discovery, keys, tokens).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// How long one request may take, answer included.
const TIMEOUT: Duration = Duration::from_secs(10);

impl HttpClient {
    pub fn new() -> std::io::Result<Self> {
        // ring lacks the post-quantum key exchange (hence deprecated);
        // aws-lc-rs would add a C build of minutes for a few provider calls.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        http.enforce_http(false);
        let provider = std::sync::Arc::new(provider);
        let builder = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(std::sync::Arc::clone(&provider))
        {
            Ok(builder) => builder,
            Err(err) => {
                // No CA certificates on this machine: only a loopback
                // `http://` provider can be reached (tests), and `https://`
                // ones fail to connect, said in the log.
                tracing::warn!(error = %err, "no CA certificates found: https:// providers cannot be reached");
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(std::io::Error::other)?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
        let connector = builder.https_or_http().enable_http1().wrap_connector(http);
        Ok(HttpClient(
            Client::builder(TokioExecutor::new()).build(connector),
        ))
    }

    /// One request, as `openidconnect` hands it over.
    pub fn call(
        &self,
        request: openidconnect::HttpRequest,
    ) -> impl Future<Output = Result<openidconnect::HttpResponse, HttpError>> + 'static {
        let client = self.0.clone();
        async move {
            let (parts, body) = request.into_parts();
            let request = axum::http::Request::from_parts(parts, Full::from(body));
            let exchange = async {
                let answer = client.request(request).await?;
                let (parts, body) = answer.into_parts();
                let bytes = Limited::new(body, MAX_ANSWER_BYTES)
                    .collect()
                    .await
                    .map_err(|err| HttpError::Body(err.to_string()))?
                    .to_bytes();
                Ok(axum::http::Response::from_parts(parts, bytes.to_vec()))
            };
            tokio::time::timeout(TIMEOUT, exchange)
                .await
                .unwrap_or(Err(HttpError::Timeout(TIMEOUT)))
        }
    }
}
