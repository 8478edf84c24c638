//! The application, running on a loopback port for a test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use super::browser::Browser;
use super::database::{Backend, TestDatabase};
use super::form::Form;
use super::page::Page;
use super::scrape::Scrape;
use crate::accounts;
use crate::api_tokens::cli::{self as tokens, TokenRequest};
use crate::auth::password;
use crate::auth::{AuthPolicy, Throttle, TokenThrottle};
use crate::config::{DEFAULT_MAX_TOKEN_DAYS, Settings};
use crate::domain::{NewPassword, Role, Username};
use crate::startup::Application;

/// The registrar account [`TestApp::spawn`] creates, and its password.
pub const REGISTRAR: &str = "registrar";
pub const PASSWORD: &str = "correct horse battery staple";

/// How to start the app for a test.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Create the [`REGISTRAR`] account (without it, the app is fresh and
    /// offers `/setup`).
    pub create_registrar: bool,
    /// Sign-in throttling. The default here is loose (1,000 attempts per
    /// username or client in ten minutes): tests sign many browsers in as
    /// one account at once, and every attempt in flight counts until it
    /// succeeds. Set it to test throttling itself.
    pub throttle: Throttle,
    pub request_timeout: Duration,
    pub session_idle_minutes: u32,
    pub secure_cookies: bool,
    /// How long a save waits for a held record before answering "busy".
    pub lock_timeout: Duration,
    /// Connect the app to its database through this address (say, a proxy
    /// the test can cut) instead of the server's own.
    pub database_via: Option<SocketAddr>,
    /// Serve `GET /metrics` on a second loopback port
    /// ([`TestApp::metrics_url`]), as `--metrics-bind` does.
    pub metrics: bool,
    /// The office's time zone (`--time-zone`).
    pub time_zone: crate::zone::Zone,
    /// Wrong API tokens allowed per client address (the production
    /// default unless a test of the throttle sets it).
    pub token_throttle: TokenThrottle,
    /// `--max-token-days`.
    pub max_token_days: u32,
    /// `--client-ip-header`: the header a trusted proxy names the client
    /// in, so that a test can send requests from several addresses.
    pub client_ip_header: Option<String>,
    /// `--require-two-factor`.
    pub require_two_factor: bool,
    /// Listen here instead of a free port (a test that must name the
    /// callback URL to an identity provider before the app starts).
    pub bind: Option<SocketAddr>,
    /// `--oidc-…`, `--password-sign-in`, `--break-glass`.
    pub oidc: Option<crate::config::OidcSettings>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            create_registrar: true,
            throttle: Throttle {
                per_username: 1_000,
                per_client: 1_000,
                per_account: 1_000,
                ..Throttle::default()
            },
            request_timeout: Duration::from_secs(30),
            session_idle_minutes: 120,
            secure_cookies: false,
            lock_timeout: Duration::from_secs(5),
            database_via: None,
            metrics: false,
            time_zone: crate::zone::Zone::UTC,
            token_throttle: TokenThrottle::default(),
            max_token_days: DEFAULT_MAX_TOKEN_DAYS,
            client_ip_header: None,
            require_two_factor: false,
            bind: None,
            oidc: None,
        }
    }
}

/// A running instance of registrar on its own database.
pub struct TestApp {
    pub backend: Backend,
    pub address: SocketAddr,
    /// `http://127.0.0.1:<port>`
    pub base_url: String,
    /// A connection to the app's database, for checks behind the app's back.
    pub db: DatabaseConnection,
    /// `http://127.0.0.1:<port>` of `/metrics`, when [`AppOptions::metrics`].
    pub metrics_url: Option<String>,
    database: Arc<TestDatabase>,
    options: AppOptions,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// Spawns the app on `backend` with a fresh database and the
    /// [`REGISTRAR`] account; `None` when the server is unreachable and not
    /// required (see [`TestDatabase::create`]).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, AppOptions::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: AppOptions) -> Option<TestApp> {
        let database = Arc::new(TestDatabase::create(backend).await?);
        let app = TestApp::spawn_on(database, options).await;
        if app.options.create_registrar {
            app.create_registrar(REGISTRAR, PASSWORD).await;
        }
        Some(app)
    }

    /// Another instance on the same database, with its own pool, as a
    /// second server behind a load balancer would be.
    pub async fn another_instance(&self) -> TestApp {
        TestApp::spawn_on(Arc::clone(&self.database), self.options.clone()).await
    }

    /// Another instance on the same database with other options (say,
    /// connected to another node of a cluster: `database_via`).
    pub async fn another_instance_with(&self, options: AppOptions) -> TestApp {
        TestApp::spawn_on(Arc::clone(&self.database), options).await
    }

    /// The app with the [`REGISTRAR`] account on a fresh database of the
    /// server `admin_url` names (a cluster's node, or its proxy). Panics
    /// when that server cannot be used: callers have started it.
    pub async fn spawn_at(backend: Backend, admin_url: &str, options: AppOptions) -> TestApp {
        let database = TestDatabase::create_at(backend, Some(admin_url.to_owned()))
            .await
            .unwrap_or_else(|| panic!("no test database on {admin_url}"));
        let app = TestApp::spawn_on(Arc::new(database), options).await;
        app.create_registrar(REGISTRAR, PASSWORD).await;
        app
    }

    async fn spawn_on(database: Arc<TestDatabase>, options: AppOptions) -> TestApp {
        crate::telemetry::init_quiet();
        let url = match options.database_via {
            Some(via) => with_address(&database.url, via),
            None => database.url.clone(),
        };
        let mut settings = Settings::for_tests(url);
        settings.database.lock_timeout_ms =
            u64::try_from(options.lock_timeout.as_millis()).unwrap_or(5_000);
        settings.request_timeout_secs = options.request_timeout.as_secs().max(1);
        settings.session_idle_minutes = options.session_idle_minutes;
        settings.secure_cookies = options.secure_cookies;
        settings.time_zone = options.time_zone;
        settings.max_token_days = options.max_token_days;
        settings.require_two_factor = options.require_two_factor;
        settings
            .client_ip_header
            .clone_from(&options.client_ip_header);
        if let Some(bind) = options.bind {
            settings.bind = Some(bind);
        }
        if let Some(oidc) = &options.oidc {
            *settings.oidc = oidc.clone();
        }
        if options.metrics {
            settings.metrics_bind = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        }
        let mut auth = AuthPolicy::from_settings(&settings);
        auth.throttle = options.throttle;
        auth.tokens.throttle = options.token_throttle;
        let app = Application::build(&settings)
            .await
            .unwrap_or_else(|e| panic!("starting registrar on {}: {e}", database.backend.name()))
            .with_auth_policy(auth);
        let address = app.local_addr();
        let metrics_url = app.metrics_url();
        let db = crate::db::connect(&database.url, 4, Duration::from_secs(30))
            .await
            .expect("a second connection to the test database");
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        TestApp {
            backend: database.backend,
            address,
            base_url: format!("http://{address}"),
            db,
            metrics_url,
            database,
            options,
            shutdown: Some(shutdown),
        }
    }

    /// Waits (at most ten seconds) until the change feed's sequencer has
    /// stamped every committed revision: it commits in the background, so
    /// a test that traps "the next `COMMIT`" waits for it first.
    pub async fn feed_stamped(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let head = crate::feed::head::read(&self.db)
                .await
                .expect("the feed's row");
            let pending = crate::feed::store::any_unstamped(&self.db, head.baseline)
                .await
                .expect("the unstamped revisions");
            if !pending {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the feed's sequencer stamps within ten seconds"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The URL of the app's database (for running the CLI against it).
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// Creates a registrar account, as `registrar user add` would.
    pub async fn create_registrar(&self, username: &str, password: &str) {
        let username = Username::parse(username).expect("a valid username");
        let password = NewPassword::parse(password).expect("a valid password");
        let hash = password::hash(&password).await.expect("hashing");
        accounts::create(&self.db, &username, hash)
            .await
            .expect("creating the registrar account");
    }

    /// A new API token for the account `username`, capped at `cap`, made
    /// as `registrar token add USERNAME --name test [--role CAP]` makes
    /// it (living `--max-token-days`); send it as `Authorization: Bearer
    /// TOKEN`. Panics when the account cannot have one (none by that name,
    /// disabled, or a cap above its role).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use axum::http::StatusCode;
    /// use registrar::domain::Role;
    /// use registrar::testing::{Backend, REGISTRAR, TestApp};
    ///
    /// let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    /// let token = app.api_token(REGISTRAR, Some(Role::Viewer)).await;
    /// let bearer = format!("Bearer {token}");
    /// let me = app
    ///     .browser()
    ///     .get_with_headers("/api/v1/me", &[("authorization", bearer.as_str())])
    ///     .await;
    /// me.assert_status(StatusCode::OK);
    /// assert!(me.body.contains(r#""role":"viewer""#));
    /// # }
    /// ```
    pub async fn api_token(&self, username: &str, cap: Option<Role>) -> String {
        let request = TokenRequest {
            username,
            name: "test",
            role: cap.map(Role::as_str),
            expires_days: None,
            max_days: self.options.max_token_days,
        };
        tokens::add(&self.db, request)
            .await
            .unwrap_or_else(|e| panic!("making an API token for {username}: {e}"))
            .token
    }

    /// `GET /metrics` on the metrics address; panics unless the app was
    /// started with [`AppOptions::metrics`] or the answer is not a `200`.
    pub async fn scrape(&self) -> Scrape {
        let url = self
            .metrics_url
            .as_deref()
            .expect("the app was started with AppOptions::metrics");
        let page = Browser::new(url).get("/metrics").await;
        page.assert_status(StatusCode::OK);
        Scrape::new(page.body)
    }

    /// A new browser with an empty cookie jar, not signed in.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base_url)
    }

    /// A new browser signed in as [`REGISTRAR`].
    pub async fn signed_in_browser(&self) -> Browser {
        self.signed_in_as(REGISTRAR, PASSWORD).await
    }

    /// `count` new browsers, each with its own cookie jar, signed in as
    /// [`REGISTRAR`] at the same time (sign-in hashes a password, which
    /// takes a while; one after the other it adds up).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use registrar::testing::{Backend, TestApp};
    ///
    /// let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    /// let registrars = app.signed_in_browsers(4).await;
    /// assert_eq!(registrars.len(), 4);
    /// for browser in &registrars {
    ///     browser.get("/students").await.assert_status(axum::http::StatusCode::OK);
    /// }
    /// # }
    /// ```
    pub async fn signed_in_browsers(&self, count: usize) -> Vec<Browser> {
        futures_util::future::join_all((0..count).map(|_| self.signed_in_browser())).await
    }

    /// A new browser signed in through the sign-in form.
    pub async fn signed_in_as(&self, username: &str, password: &str) -> Browser {
        let browser = self.browser();
        let answer = browser.sign_in(username, password).await;
        answer.assert_status(StatusCode::SEE_OTHER);
        browser
    }

    /// Opens the student's edit form and sets `changes`, without
    /// submitting it (so that a test can decide when).
    pub async fn edit_form(&self, browser: &Browser, id: i64, changes: &[(&str, &str)]) -> Form {
        let path = format!("/students/{id}");
        let edit = browser.get(&format!("{path}/edit")).await;
        edit.assert_status(StatusCode::OK);
        let mut form = edit.form(&path);
        for (field, value) in changes {
            form.set(field, value);
        }
        form
    }

    /// Opens the student's edit form, sets `changes` and submits it;
    /// returns the answer (`303` when saved).
    pub async fn edit_student(&self, browser: &Browser, id: i64, changes: &[(&str, &str)]) -> Page {
        self.edit_form(browser, id, changes)
            .await
            .submit(browser)
            .await
    }

    /// Creates a student through the create form; returns its id.
    pub async fn create_student(
        &self,
        browser: &Browser,
        name: &str,
        address: &str,
        gpa: &str,
    ) -> i64 {
        let new = browser.get("/students/new").await;
        new.assert_status(StatusCode::OK);
        let mut form = new.form("/students");
        form.set("name", name)
            .set("address", address)
            .set("gpa", gpa);
        let created = form.submit(browser).await;
        created.assert_status(StatusCode::SEE_OTHER);
        let location = created.location().unwrap_or_default();
        location
            .strip_prefix("/students/")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("create redirected to {location:?}"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// `url` with its host and port replaced by `address`.
fn with_address(url: &str, address: SocketAddr) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let credentials = authority
        .rsplit_once('@')
        .map(|(c, _)| format!("{c}@"))
        .unwrap_or_default();
    format!("{scheme}://{credentials}{address}/{path}")
}
