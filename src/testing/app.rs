//! The application, running on a loopback port for a test.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use super::browser::Browser;
use super::database::{Backend, TestDatabase};
use crate::config::Settings;
use crate::startup::Application;

/// A running instance of registrar on its own database.
pub struct TestApp {
    pub backend: Backend,
    pub address: SocketAddr,
    /// `http://127.0.0.1:<port>`
    pub base_url: String,
    /// A connection to the app's database, for checks behind the app's back.
    pub db: DatabaseConnection,
    database: Arc<TestDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// Spawns the app on `backend` with a fresh database; `None` when the
    /// server is unreachable and not required (see [`TestDatabase::create`]).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let database = Arc::new(TestDatabase::create(backend).await?);
        Some(TestApp::spawn_on(database).await)
    }

    /// Another instance on the same database, with its own pool, as a
    /// second server behind a load balancer would be.
    pub async fn another_instance(&self) -> TestApp {
        TestApp::spawn_on(Arc::clone(&self.database)).await
    }

    async fn spawn_on(database: Arc<TestDatabase>) -> TestApp {
        crate::telemetry::init();
        let settings = Settings::for_tests(database.url.clone());
        let app = Application::build(&settings)
            .await
            .unwrap_or_else(|e| panic!("starting registrar on {}: {e}", database.backend.name()));
        let address = app.local_addr();
        let db = crate::db::connect(&database.url, 4)
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
            database,
            shutdown: Some(shutdown),
        }
    }

    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base_url)
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
