//! The registrar binary as a process of its own, for the tests that kill it.

use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::testing::{Browser, PASSWORD, REGISTRAR};

pub struct ServerProcess {
    child: Child,
    pub base_url: String,
}

impl ServerProcess {
    /// Starts `registrar serve` on a free loopback port against
    /// `database_url` and waits until it answers `/healthz`.
    pub async fn start(database_url: &str) -> ServerProcess {
        ServerProcess::start_with_log(database_url, None).await
    }

    /// [`ServerProcess::start`] logging at `info` into `log`.
    pub async fn start_logging(database_url: &str, log: &std::path::Path) -> ServerProcess {
        ServerProcess::start_with_log(database_url, Some(log)).await
    }

    async fn start_with_log(database_url: &str, log: Option<&std::path::Path>) -> ServerProcess {
        ServerProcess::start_limited(database_url, log, None, &[]).await
    }

    /// [`ServerProcess::start`] with extra environment variables and,
    /// given `open_files`, that limit on open descriptors (`ulimit -n`).
    /// `REGISTRAR_BINARY` replaces the binary under test (to measure
    /// another build).
    pub async fn start_limited(
        database_url: &str,
        log: Option<&std::path::Path>,
        open_files: Option<u64>,
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let binary = std::env::var("REGISTRAR_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_registrar").to_owned());
        let bind = format!("127.0.0.1:{port}");
        let mut command = match open_files {
            Some(limit) => {
                let mut command = Command::new("sh");
                command.args([
                    "-c",
                    &format!("ulimit -n {limit} && exec \"$0\" serve --bind {bind}"),
                    &binary,
                ]);
                command
            }
            None => {
                let mut command = Command::new(&binary);
                command.args(["serve", "--bind", &bind]);
                command
            }
        };
        let child = command
            .envs(env.iter().copied())
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
            .stdout(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("a log file")),
                None => Stdio::null(),
            })
            .stderr(match log {
                Some(path) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .append(true)
                        .open(path)
                        .expect("the log file"),
                ),
                None => Stdio::null(),
            })
            .spawn()
            .expect("the registrar binary starts");
        let server = ServerProcess {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = client
                .get(format!("{}/healthz", server.base_url))
                .send()
                .await
                && response.status() == 200
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("registrar did not start answering on port {port}");
    }

    /// A browser signed in on this process as the kit's registrar.
    pub async fn signed_in_browser(&self) -> Browser {
        let browser = Browser::new(&self.base_url);
        browser
            .sign_in(REGISTRAR, PASSWORD)
            .await
            .assert_status(StatusCode::SEE_OTHER);
        browser
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    pub fn sigkill(&self) {
        self.signal("-KILL");
    }

    pub fn sigterm(&self) {
        self.signal("-TERM");
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn exit_status(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
