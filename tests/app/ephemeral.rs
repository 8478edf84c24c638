//! `registrar serve --ephemeral` (docs/contract.md §11), run as a process the way
//! another project's test suite runs it: one line on standard output, the
//! accounts and demo students it was given, SIGTERM exits 0 and the
//! throw-away database is gone.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use registrar::testing::{Backend, Browser};

use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(with_a_database_url_the_ephemeral_server_uses_it_and_removes_nothing);

const ADA: &str = "ada:a long enough password:admin";
const GRACE: &str = "grace:pass:word:with:colons";
const VIC: &str = "vic:a viewer's long password:viewer";

/// A `registrar serve --ephemeral` process and what it printed.
struct Ephemeral {
    child: Child,
    /// The URL of its one line on standard output.
    url: String,
    /// Later standard output lines (there should be none).
    more_stdout: mpsc::Receiver<String>,
}

impl Ephemeral {
    /// Starts it with `args` and `env`, under its own temporary directory
    /// `tmp`, and reads its first line.
    fn start(args: &[&str], env: &[(&str, &str)], tmp: &Path) -> Ephemeral {
        let mut command = Command::new(env!("CARGO_BIN_EXE_registrar"));
        command
            .args(["serve", "--ephemeral"])
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("REGISTRAR_BIND")
            .env("TMPDIR", tmp)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the registrar binary starts");
        let (lines, more_stdout) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let first = more_stdout
            .recv_timeout(Duration::from_secs(60))
            .expect("registrar prints a line within a minute");
        let url = first
            .strip_prefix("registrar listening on ")
            .unwrap_or_else(|| panic!("the first line: {first:?}"))
            .to_owned();
        Ephemeral {
            child,
            url,
            more_stdout,
        }
    }

    fn sigterm(&mut self) -> std::process::ExitStatus {
        self.signal("-TERM")
    }

    /// Sends `signal` (`-HUP`, `-QUIT`, ...) and waits for the exit.
    fn signal(&mut self, signal: &str) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("waiting") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("registrar did not exit within 15 s of {signal}");
    }
}

impl Drop for Ephemeral {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory for one test, to see what registrar leaves in it.
fn test_tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("registrar-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

async fn students_in_csv(browser: &Browser) -> usize {
    let csv = browser.get("/students.csv").await;
    csv.assert_status(StatusCode::OK);
    csv.body.lines().count() - 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ephemeral_server_prints_one_line_has_its_accounts_and_leaves_nothing() {
    let tmp = test_tmp("ephemeral");
    let mut server = Ephemeral::start(
        &[
            "--account",
            ADA,
            "--account",
            GRACE,
            "--account",
            VIC,
            "--demo",
            "25",
        ],
        &[],
        &tmp,
    );
    let port: u16 = server
        .url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("HOST:PORT on loopback: {}", server.url));
    assert_ne!(port, 0, "a free port was picked");
    let scratch = entries(&tmp);
    assert_eq!(scratch.len(), 1, "one throw-away directory: {scratch:?}");
    assert!(
        scratch[0].starts_with("registrar-ephemeral-"),
        "{scratch:?}"
    );

    // Both accounts sign in over HTTP (the role word is accepted, the
    // password may hold colons), and the demo students are there.
    let ada = Browser::new(&server.url);
    ada.sign_in("ada", "a long enough password")
        .await
        .assert_redirect_to("/students");
    assert_eq!(students_in_csv(&ada).await, 25);
    let grace = Browser::new(&server.url);
    grace
        .sign_in("grace", "pass:word:with:colons")
        .await
        .assert_redirect_to("/students");
    Browser::new(&server.url)
        .sign_in("ada", "a wrong password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // Each account has the role its spec named, `registrar` when none.
    let vic = Browser::new(&server.url);
    vic.sign_in("vic", "a viewer's long password")
        .await
        .assert_redirect_to("/students");
    for (who, accounts, new_student) in [
        (&ada, StatusCode::OK, StatusCode::OK),
        (&grace, StatusCode::FORBIDDEN, StatusCode::OK),
        (&vic, StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
    ] {
        who.get("/accounts").await.assert_status(accounts);
        who.get("/students/new").await.assert_status(new_student);
    }

    let status = server.sigterm();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    assert_eq!(
        server.more_stdout.recv_timeout(Duration::from_secs(5)).ok(),
        None,
        "the listening line is the only line on standard output"
    );
    assert!(
        entries(&tmp).is_empty(),
        "the throw-away database is removed: {:?}",
        entries(&tmp)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_account_spec_is_a_clear_error() {
    let tmp = test_tmp("ephemeral-bad-account");
    for (spec, says) in [
        ("ada:short", "at least 10 characters"),
        ("ada", "USERNAME:PASSWORD"),
        ("a b:a long enough password", "username"),
        // The USERNAME: forgotten: what was given may be the password.
        ("Sup3rSecretPassw0rd long enough", "USERNAME:PASSWORD"),
        ("new:a long enough password", "cannot be a username"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_registrar"))
            .args(["serve", "--ephemeral", "--account", spec])
            .env_remove("DATABASE_URL")
            .env("TMPDIR", &tmp)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the registrar binary starts");
        let status = child.wait().expect("it exits");
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        assert!(!status.success(), "{spec}: {status:?}");
        assert!(
            stderr.contains("--account") && stderr.contains(says),
            "{spec}: {stderr}"
        );
        assert!(
            !stderr.contains("long enough"),
            "the password is not shown: {stderr}"
        );
        assert_eq!(stdout, "", "{spec}: nothing on standard output");
    }
    assert!(entries(&tmp).is_empty(), "{:?}", entries(&tmp));
    let _ = std::fs::remove_dir_all(&tmp);
}

async fn with_a_database_url_the_ephemeral_server_uses_it_and_removes_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let tmp = test_tmp(&format!("ephemeral-{}", backend.name()));
    let mut server = Ephemeral::start(
        &["--account", ADA, "--demo", "3", "--bind", "0.0.0.0:0"],
        &[("DATABASE_URL", app.database_url())],
        &tmp,
    );
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "bound to every address, reached on loopback: {}",
        server.url
    );
    let ada = Browser::new(&server.url);
    ada.sign_in("ada", "a long enough password")
        .await
        .assert_redirect_to("/students");
    assert_eq!(students_in_csv(&ada).await, 3);
    assert!(server.sigterm().success());
    assert!(
        entries(&tmp).is_empty(),
        "no throw-away directory: {:?}",
        entries(&tmp)
    );
    // The database stays, with what the server wrote.
    assert_eq!(db_checks::student_count(&app.db).await, 3);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Every signal that ends the process removes the throw-away database, and
/// while it runs only its user can read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throw_away_database_is_private_and_removed_on_any_terminating_signal() {
    use std::os::unix::fs::PermissionsExt;
    for signal in ["-HUP", "-QUIT", "-INT", "-TERM"] {
        let tmp = test_tmp(&format!("ephemeral-signal{signal}"));
        let mut server = Ephemeral::start(&[], &[], &tmp);
        let made = entries(&tmp);
        assert_eq!(made.len(), 1, "{made:?}");
        let mode = std::fs::metadata(tmp.join(&made[0]))
            .expect("the directory")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{signal}: {mode:o}");
        let status = server.signal(signal);
        assert!(status.success(), "{signal}: {status:?}");
        assert!(entries(&tmp).is_empty(), "{signal}: {:?}", entries(&tmp));
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// `REGISTRAR_TIME_ZONE` (like `--time-zone`) reaches the pages of the
/// server the binary starts: Kathmandu's offset has no letters, so the
/// times are named by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ephemeral_server_shows_times_in_its_time_zone() {
    let tmp = test_tmp("zone");
    let mut server = Ephemeral::start(
        &["--account", ADA, "--demo", "3"],
        &[("REGISTRAR_TIME_ZONE", "Asia/Kathmandu")],
        &tmp,
    );
    let ada = Browser::new(&server.url);
    ada.sign_in("ada", "a long enough password")
        .await
        .assert_redirect_to("/students");
    for path in ["/students", "/account"] {
        let times = ada.get(path).await.times();
        assert!(
            !times.is_empty()
                && times
                    .iter()
                    .all(|(iso, text)| iso.ends_with('Z') && text.ends_with(" UTC+05:45")),
            "{path}: {times:?}"
        );
    }
    assert!(server.sigterm().success());
    let _ = std::fs::remove_dir_all(&tmp);
}
