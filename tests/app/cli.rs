//! The `registrar` command line, run as a process against each backend.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use axum::http::StatusCode;
use registrar::testing::{Backend, TestApp};

use crate::{on_every_backend, spawn_app};

on_every_backend!(user_commands_add_list_and_disable_accounts);

/// Runs the `registrar` binary on `app`'s database with `stdin` piped in.
pub(crate) fn registrar(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the registrar binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("writing stdin");
    child
        .wait_with_output()
        .expect("the registrar binary exits")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn user_commands_add_list_and_disable_accounts(backend: Backend) {
    let app = spawn_app!(backend);
    let added = registrar(
        &app,
        &["user", "add", "Grace", "--password-stdin"],
        "grace's long password\n",
    );
    assert!(added.status.success(), "{added:?}");
    assert!(stdout(&added).contains("Created registrar account Grace"));

    // Usernames are unique regardless of case; passwords have a minimum length.
    let taken = registrar(
        &app,
        &["user", "add", "grace", "--password-stdin"],
        "another long password\n",
    );
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already exists"));
    let short = registrar(
        &app,
        &["user", "add", "alan", "--password-stdin"],
        "short\n",
    );
    assert!(!short.status.success());
    let no_terminal = registrar(&app, &["user", "add", "alan"], "");
    assert!(!no_terminal.status.success());

    let browser = app.signed_in_as("grace", "grace's long password").await;
    browser.get("/students").await.assert_status(StatusCode::OK);

    let list = registrar(&app, &["user", "list"], "");
    assert!(list.status.success());
    let listed = stdout(&list);
    assert!(
        listed.contains("Grace") && listed.contains("active"),
        "{listed}"
    );

    let disabled = registrar(&app, &["user", "disable", "GRACE"], "");
    assert!(disabled.status.success(), "{disabled:?}");
    browser
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    assert!(stdout(&registrar(&app, &["user", "list"], "")).contains("disabled"));
    assert!(
        !registrar(&app, &["user", "disable", "nobody"], "")
            .status
            .success()
    );

    let migrate = registrar(&app, &["migrate"], "");
    assert!(
        migrate.status.success(),
        "migrate is idempotent: {migrate:?}"
    );
}

/// Each command lists its own options: the database's where it uses one,
/// the server's only on `serve` (and on `registrar` alone, which serves).
#[test]
fn each_command_shows_only_its_own_options() {
    let help = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_registrar"))
            .args(args)
            .arg("--help")
            .output()
            .expect("the registrar binary runs");
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let server_flags = [
        "--bind",
        "--secure-cookies",
        "--session-idle-minutes",
        "--time-zone",
        "--ephemeral",
    ];
    for serving in [&[][..], &["serve"][..]] {
        let shown = help(serving);
        // Connection limits are not the database's options.
        let (_, after_database) = shown.split_once("Database:").expect("a Database heading");
        let database_part = after_database.split("\n\n").next().unwrap_or_default();
        assert!(
            !database_part.contains("--max-connections"),
            "{serving:?}: {shown}"
        );
        assert!(shown.contains("Connections:"), "{serving:?}: {shown}");
        for flag in server_flags.iter().chain(&["--database-url"]) {
            assert!(shown.contains(flag), "{serving:?} shows {flag}: {shown}");
        }
    }
    for command in [
        &["migrate"][..],
        &["demo"],
        &["export"],
        &["import"],
        &["user", "add"],
        &["user", "list"],
        &["user", "disable"],
        &["audit", "verify"],
        &["audit", "digest"],
        &["token", "add"],
        &["token", "list"],
        &["token", "revoke"],
    ] {
        let shown = help(command);
        assert!(shown.contains("--database-url"), "{command:?}: {shown}");
        for flag in server_flags {
            assert!(
                !shown.contains(flag),
                "{command:?} does not show {flag}: {shown}"
            );
        }
    }
    // Server flags belong to serving; the old spellings keep working there.
    let refused = Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(["demo", "--bind", "127.0.0.1:0"])
        .output()
        .expect("the registrar binary runs");
    assert!(!refused.status.success());
}

/// `--time-zone` (or `REGISTRAR_TIME_ZONE`) takes names of the IANA
/// database only: anything else stops the server before it starts, saying
/// what it wants.
#[test]
fn an_unknown_time_zone_is_refused_at_start() {
    let tmp = std::env::temp_dir().join(format!("registrar-test-bad-zone-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a temporary directory");
    let start = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_registrar"));
        command
            .args(["serve", "--ephemeral"])
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("REGISTRAR_TIME_ZONE")
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null());
        if let Some(zone) = env {
            command.env("REGISTRAR_TIME_ZONE", zone);
        }
        command.output().expect("the registrar binary runs")
    };
    for (args, env) in [
        (&["--time-zone", "Europe/Berln"][..], None),
        (&["--time-zone", "CET+1"][..], None),
        (&[][..], Some("Mars/Olympus_Mons")),
    ] {
        let refused = start(args, env);
        let said = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{args:?} {env:?}: {said}");
        assert!(
            said.contains("--time-zone") && said.contains("IANA") && said.contains("Europe/Berlin"),
            "{args:?} {env:?}: {said}"
        );
        assert!(refused.stdout.is_empty(), "nothing listened: {refused:?}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
