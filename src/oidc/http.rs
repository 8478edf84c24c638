//! The HTTP client the protocol crate talks to the provider through:
//! reqwest over rustls (ring), no redirects followed (the protocol's
//! answers are never redirects; following them would let a provider's
//! answer point registrar anywhere), short timeouts.

use std::future::Future;
use std::time::Duration;

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error("cannot build the response: {0}")]
    Response(#[from] axum::http::Error),
}

#[derive(Clone)]
pub struct HttpClient(reqwest::Client);

/// The largest answer read from the provider (discovery, keys, tokens).
const MAX_ANSWER_BYTES: usize = 1 << 20;

impl HttpClient {
    pub fn new() -> Result<Self, reqwest::Error> {
        // The process's one TLS provider (ring); `Err` when one is set.
        // ring lacks the post-quantum key exchange (hence deprecated);
        // aws-lc-rs would add a C build of minutes for a few provider calls.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map(HttpClient)
    }

    /// One request, as `openidconnect` hands it over.
    pub fn call(
        &self,
        request: openidconnect::HttpRequest,
    ) -> impl Future<Output = Result<openidconnect::HttpResponse, HttpError>> + 'static {
        let client = self.0.clone();
        async move {
            let request = reqwest::Request::try_from(request)?;
            let mut answer = client.execute(request).await?;
            let mut response = axum::http::Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = answer.chunk().await? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_ANSWER_BYTES {
                    body.truncate(MAX_ANSWER_BYTES);
                    break;
                }
            }
            Ok(response.body(body)?)
        }
    }
}
