//! A real OpenID provider for the university sign-in tests: panva's
//! `oidc-provider` (npm, in `target/oidc-provider` as `.ci/run` installs
//! it) run by `tests/oidc/provider.mjs` on a free loopback port, and a
//! driver for its development login and consent forms.
//!
//! Without Node.js or the package the tests say so and skip, unless
//! `REGISTRAR_REQUIRE_BROWSER=1` (CI), where that is a failure.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::StatusCode;
use registrar::config::OidcSettings;
use registrar::testing::{AppOptions, Backend, Browser, Page, TestApp};

pub const CLIENT_ID: &str = "registrar-tests";
pub const CLIENT_SECRET: &str = "a client secret for the tests";
pub const ROLES: &str =
    "groups:registry-admins=admin,groups:registry=registrar,groups:staff=viewer";

/// How the provider misbehaves (see `tests/oidc/provider.mjs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// ID tokens for another client.
    Audience,
    /// ID tokens that expired before they were issued.
    Expired,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Audience => "audience",
            Mode::Expired => "expired",
        }
    }
}

fn required() -> bool {
    std::env::var("REGISTRAR_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn node_modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/oidc-provider/node_modules")
}

/// A free loopback port (bound, then let go).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The provider process; stopped when dropped.
pub struct IdProvider {
    child: Option<Child>,
    pub port: u16,
    app_port: u16,
    mode: Mode,
}

impl IdProvider {
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether the provider can run here; says why not (or fails, when
    /// required).
    pub fn available() -> bool {
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let package = node_modules().join("oidc-provider/package.json").exists();
        if node && package {
            return true;
        }
        let why = "Node.js or the npm package oidc-provider is not installed \
                   (npm install --prefix target/oidc-provider oidc-provider@9)";
        if required() {
            panic!("OpenID provider: {why}, and REGISTRAR_REQUIRE_BROWSER=1");
        }
        registrar::testing::report_skip("OpenID provider", why, "REGISTRAR_REQUIRE_BROWSER=1");
        false
    }

    /// A provider (not started yet) for the app that will listen on `app_port`.
    pub fn new(app_port: u16, mode: Mode) -> IdProvider {
        IdProvider {
            child: None,
            port: free_port(),
            app_port,
            mode,
        }
    }

    /// Starts it (with a new signing key) and waits until it answers. A
    /// provider that has not answered in 40 s (node starting on a loaded
    /// machine) is stopped and started again once, on the same port (the
    /// app may already know its issuer).
    pub async fn start(&mut self) {
        for _ in 0..2 {
            self.spawn_node();
            if self.answers_within(Duration::from_secs(40)).await {
                return;
            }
            self.stop();
        }
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        panic!(
            "the OpenID provider did not start on port {}: {log}",
            self.port
        );
    }

    fn spawn_node(&mut self) {
        let app = format!("http://127.0.0.1:{}", self.app_port);
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/provider.mjs");
        let child = Command::new("node")
            .arg(script)
            .env("OIDC_NODE_MODULES", node_modules())
            .env("OIDC_PORT", self.port.to_string())
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .env("OIDC_REDIRECT_URI", format!("{app}/login/oidc/callback"))
            .env("OIDC_POST_LOGOUT_URI", format!("{app}/login"))
            .env("OIDC_MODE", self.mode.name())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.log()).expect("the provider's log"),
            ))
            .spawn()
            .expect("starting node");
        self.child = Some(child);
    }

    /// Whether the provider's discovery document answers within `limit`
    /// (each try given two seconds at most); panics if node stopped.
    async fn answers_within(&mut self, limit: Duration) -> bool {
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer());
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(Ok(Some(exit))) = self.child.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(self.log()).unwrap_or_default();
                panic!("the OpenID provider stopped ({exit}): {log}");
            }
            let browser = Browser::new(&self.issuer());
            let answer = tokio::time::timeout(Duration::from_secs(2), browser.try_get(&discovery));
            if let Ok(Ok(page)) = answer.await
                && page.status == StatusCode::OK
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    fn log(&self) -> PathBuf {
        std::env::temp_dir().join(format!("registrar-oidc-provider-{}.log", self.port))
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for IdProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `--oidc-…` settings for `provider`, refreshing at most every second.
pub fn settings(provider: &IdProvider) -> OidcSettings {
    OidcSettings {
        oidc_issuer: Some(provider.issuer()),
        oidc_client_id: Some(CLIENT_ID.to_owned()),
        oidc_client_secret: Some(CLIENT_SECRET.to_owned()),
        oidc_redirect_url: Some(format!(
            "http://127.0.0.1:{}/login/oidc/callback",
            provider.app_port
        )),
        oidc_roles: Some(ROLES.to_owned()),
        oidc_name: "Example University".to_owned(),
        oidc_refresh_secs: 1,
        ..OidcSettings::default()
    }
}

/// The app on `backend` with a provider in `mode` (started unless
/// `started` is false); `None` when either cannot run here.
pub async fn spawn(
    backend: Backend,
    mode: Mode,
    started: bool,
    tune: impl FnOnce(&mut OidcSettings),
) -> Option<(TestApp, IdProvider)> {
    spawn_with(backend, mode, started, tune, AppOptions::default()).await
}

/// [`spawn`], the app started with `options` otherwise.
pub async fn spawn_with(
    backend: Backend,
    mode: Mode,
    started: bool,
    tune: impl FnOnce(&mut OidcSettings),
    options: AppOptions,
) -> Option<(TestApp, IdProvider)> {
    if !IdProvider::available() {
        return None;
    }
    let app_port = free_port();
    let mut provider = IdProvider::new(app_port, mode);
    if started {
        provider.start().await;
    }
    let mut oidc = settings(&provider);
    tune(&mut oidc);
    // No account yet: the provider's first one must not become an admin
    // for being first. Tests that need a password account create one.
    let options = AppOptions {
        create_registrar: false,
        bind: Some(SocketAddr::from(([127, 0, 0, 1], app_port))),
        oidc: Some(oidc),
        ..options
    };
    let app = TestApp::spawn_with(backend, options).await?;
    Some((app, provider))
}

/// Starts a university sign-in at `start` (`/login/oidc?…`) and goes
/// through the provider's login (as `login`) and consent forms, up to the
/// provider's redirect back: `Ok` with the callback URL (not requested
/// yet), or `Err` with the first answer that is not the provider's.
pub async fn authorize(
    browser: &Browser,
    provider: &IdProvider,
    start: &str,
    login: &str,
) -> Result<String, Page> {
    let mut page = browser.get(start).await;
    for _ in 0..12 {
        if page.status.is_redirection() {
            let location = page.location().expect("a redirect's Location").to_owned();
            let location = match location.starts_with('/') && page.path.starts_with("http") {
                true => format!("{}{location}", provider.issuer()),
                false => location,
            };
            if !location.starts_with(&provider.issuer()) {
                return match location.contains("/login/oidc/callback") {
                    true => Ok(location),
                    false => Err(page),
                };
            }
            page = browser.get(&location).await;
            continue;
        }
        if page.status != StatusCode::OK || !page.path.starts_with(&provider.issuer()) {
            return Err(page);
        }
        let Some(form) = page.forms().into_iter().find(|f| f.method == "post") else {
            return Err(page);
        };
        let mut fields: Vec<(String, String)> = form.fields().to_vec();
        for (name, value) in &mut fields {
            match name.as_str() {
                "login" => *value = login.to_owned(),
                "password" => *value = "any password".to_owned(),
                _ => {}
            }
        }
        let action = match form.action.starts_with('/') {
            true => format!("{}{}", provider.issuer(), form.action),
            false => form.action.clone(),
        };
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        page = browser.post_form(&action, &fields).await;
    }
    panic!("the provider's forms did not lead back to registrar");
}

/// [`authorize`], then the callback: registrar's answer to it.
pub async fn sign_in(browser: &Browser, provider: &IdProvider, start: &str, login: &str) -> Page {
    match authorize(browser, provider, start, login).await {
        Ok(callback) => browser.get(&callback).await,
        Err(page) => page,
    }
}
