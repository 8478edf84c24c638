//! A client of the JSON API (contract §13) for tests: requests with a
//! bearer token, answers read as status, headers and JSON.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// An API client acting with one token (or none).
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
}

/// An API answer.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl ApiResponse {
    /// The body as JSON; panics (showing it) when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// Panics unless the status is `status`.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "answered: {}", self.body);
        self
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `ETag`'s version (`"3"` → 3).
    pub fn etag_version(&self) -> Option<i64> {
        self.header("etag")?.trim_matches('"').parse().ok()
    }

    /// A problem's `type` after `urn:registrar:problem:` (panics unless
    /// the answer is a problem).
    #[track_caller]
    pub fn problem(&self) -> String {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{} {}",
            self.status,
            self.body
        );
        let kind = self.json()["type"].as_str().unwrap_or_default().to_owned();
        kind.trim_start_matches("urn:registrar:problem:").to_owned()
    }
}

impl ApiClient {
    /// A client of the app at `base_url`, sending `token` (none: no
    /// `Authorization` header).
    pub fn new(base_url: &str, token: Option<&str>) -> ApiClient {
        ApiClient {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
        }
    }

    /// Any request: `headers` added, `body` sent with its content type.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> ApiResponse {
        self.try_request(method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// [`ApiClient::request`], with a transport failure as an error.
    pub async fn try_request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<ApiResponse, String> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            request = request.header(name, value);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.request(Method::GET, path, &[], None).await
    }

    /// `POST` of `body` as `application/json`.
    pub async fn post(&self, path: &str, body: &Value) -> ApiResponse {
        self.request(Method::POST, path, &[], Some(json(body)))
            .await
    }

    /// `PATCH` of `patch` (a merge patch) over `version`.
    pub async fn patch(&self, path: &str, version: i64, patch: &Value) -> ApiResponse {
        let if_match = format!("\"{version}\"");
        self.request(
            Method::PATCH,
            path,
            &[("if-match", &if_match)],
            Some((
                "application/merge-patch+json",
                patch.to_string().into_bytes(),
            )),
        )
        .await
    }

    /// `DELETE` over `version`.
    pub async fn delete(&self, path: &str, version: i64) -> ApiResponse {
        let if_match = format!("\"{version}\"");
        self.request(Method::DELETE, path, &[("if-match", &if_match)], None)
            .await
    }
}

/// `body` as an `application/json` body.
pub fn json(body: &Value) -> (&'static str, Vec<u8>) {
    ("application/json", body.to_string().into_bytes())
}
