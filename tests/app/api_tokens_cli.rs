//! `registrar token add | list | revoke` (contract §13), run as a process:
//! `add` prints the token alone on standard output, lifetimes are capped by
//! `--max-token-days`, `revoke` stops a token at once.

use registrar::db::entities::api_token;
use registrar::domain::Role;
use registrar::testing::{Backend, REGISTRAR};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::api_tokens::{assert_unauthorized, json, me};
use crate::cli::{registrar, stdout};
use crate::roles::{OTHER_PASSWORD, create_account};
use crate::{on_every_backend, spawn_app};

on_every_backend!(token_commands_add_list_and_revoke_tokens);

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn token_commands_add_list_and_revoke_tokens(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, "vera", OTHER_PASSWORD, Role::Viewer).await;
    let count = || async { api_token::Entity::find().count(&app.db).await.unwrap() };

    // `add` prints the token and nothing else on standard output.
    let added = registrar(
        &app,
        &[
            "token",
            "add",
            "VERA",
            "--name",
            "nightly export",
            "--role",
            "viewer",
            "--expires-days",
            "30",
            "--max-token-days",
            "30",
        ],
        "",
    );
    assert!(added.status.success(), "{added:?}");
    let printed = stdout(&added);
    let token = printed.trim_end_matches('\n');
    assert_eq!(printed.lines().count(), 1, "{printed:?}");
    assert!(
        token.starts_with("rgt_") && token.len() == 47,
        "{printed:?}"
    );
    assert!(
        stderr(&added).contains("not shown again"),
        "{}",
        stderr(&added)
    );
    let body = json(&me(&app, token).await);
    assert_eq!(
        (body["username"].as_str(), body["role"].as_str()),
        (Some("vera"), Some("viewer"))
    );
    let id = body["token"]["id"].as_i64().unwrap();

    // Refused, nothing made: over the cap, above the account's role, an
    // unknown account or role, a blank name.
    for (args, said) in [
        (
            &[
                "token",
                "add",
                "vera",
                "--name",
                "x",
                "--expires-days",
                "31",
                "--max-token-days",
                "30",
            ][..],
            "--max-token-days",
        ),
        (
            &["token", "add", "vera", "--name", "x", "--role", "registrar"],
            "above",
        ),
        (
            &["token", "add", "nobody", "--name", "x"],
            "no account named nobody",
        ),
        (
            &["token", "add", "vera", "--name", "x", "--role", "root"],
            "unknown role",
        ),
        (&["token", "add", "vera", "--name", " "], "--name"),
    ] {
        let refused = registrar(&app, args, "");
        assert!(!refused.status.success(), "{args:?}");
        assert!(refused.stdout.is_empty(), "{args:?}: no token printed");
        assert!(
            stderr(&refused).contains(said),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    assert_eq!(count().await, 1);
    // Without --expires-days, the cap: 365 days unless told otherwise.
    let longest = registrar(&app, &["token", "add", REGISTRAR, "--name", "ops"], "");
    assert!(longest.status.success(), "{longest:?}");
    let rows = api_token::Entity::find().all(&app.db).await.unwrap();
    let ops = rows.iter().find(|r| r.name == "ops").unwrap();
    assert_eq!(
        ops.expires_at.unwrap() - ops.created_at,
        chrono::Duration::days(365)
    );

    // `list` shows every token (or one account's), never the token.
    let listed = stdout(&registrar(&app, &["token", "list"], ""));
    assert!(
        listed.contains(&format!("{id}\tvera\tnightly export\tat most viewer")),
        "{listed}"
    );
    assert!(
        listed.contains("ops") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(token), "{listed}");
    let veras = stdout(&registrar(&app, &["token", "list", "vera"], ""));
    assert_eq!(veras.lines().count(), 1, "{veras}");
    assert!(veras.contains("last used 20"), "used once: {veras}");

    // `revoke` stops it at once; again, it says so; an unknown id fails.
    let revoked = registrar(&app, &["token", "revoke", &id.to_string()], "");
    assert!(revoked.status.success(), "{revoked:?}");
    assert!(stdout(&revoked).contains("Revoked API token"));
    assert_unauthorized(&me(&app, token).await, "revoked by the command line");
    let again = registrar(&app, &["token", "revoke", &id.to_string()], "");
    assert!(again.status.success() && stdout(&again).contains("already revoked"));
    assert!(
        !registrar(&app, &["token", "revoke", "999999"], "")
            .status
            .success()
    );
    let listed = stdout(&registrar(&app, &["token", "list", "vera"], ""));
    assert!(
        listed.contains("revoked") && listed.contains("by command line"),
        "{listed}"
    );
}
