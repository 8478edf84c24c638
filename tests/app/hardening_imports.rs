//! Imports, hardened: a version the record never had is invalid at
//! upload (and refused, never written, at the confirm); uploads sent at once never pass the limit of waiting imports; a
//! check whose instance stops is failed, not left "checking"; import ids
//! are matched exactly; a header naming a column twice is refused; a value
//! with a formula behind a `;` is exported quoted and neutralised.

use std::time::Duration;

use axum::http::StatusCode;
use registrar::db::entities::import::{self, ImportState};
use registrar::students::import::store as imports;
use registrar::testing::{Backend, ImportOutcome, REGISTRAR};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::process::ServerProcess;
use crate::roundtrip::uploaded;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_version_the_record_never_had_is_invalid_at_upload,
    uploads_sent_at_once_never_pass_the_limit_of_waiting_imports,
    a_check_whose_instance_stopped_is_failed_not_left_checking,
    a_check_interrupted_by_sigterm_is_failed_at_once,
    import_ids_are_matched_exactly_and_headers_name_each_column_once,
    a_formula_behind_a_semicolon_is_exported_quoted_and_round_trips,
);

fn import_id(path: &str) -> &str {
    path.rsplit('/').next().expect("an id")
}

async fn a_version_the_record_never_had_is_invalid_at_upload(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let file = format!("id,name,address,gpa,version\n{id},Ada,2 High St,3,5\n");
    let path = uploaded(&browser, file).await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Invalid), 1, "{preview:?}");
    assert_eq!(preview.count(ImportOutcome::Conflict), 0);
    let problems = preview.problems();
    assert!(
        problems[0].message.contains("never been at version 5"),
        "{problems:?}"
    );
    assert_eq!(
        preview.not_imported.as_ref().map(|n| n.rows),
        Some(1),
        "the preview says it will not be imported"
    );
    // Others bring the record to version 5 meanwhile: the file still
    // cannot write over their edits; the confirm refuses the row.
    for address in ["3 A St", "4 B St", "5 C St", "6 D St"] {
        app.edit_student(&browser, id, &[("address", address)])
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    browser
        .post_with_token(&path, &[])
        .await
        .assert_redirect_to(&path);
    let result = browser.wait_for_import(&path).await.import_result();
    assert_eq!((result.written, result.refused), (0, 1), "{result:?}");
    assert!(result.merge_links.is_empty(), "an invalid row has no merge");
    let student = crate::db_checks::student(&app.db, id).await;
    assert_eq!((student.address.as_str(), student.version), ("6 D St", 5));
    assert!(crate::db_checks::conflicts(&app.db, id).await.is_empty());
}

async fn waiting_imports(app: &registrar::testing::TestApp) -> u64 {
    import::Entity::find()
        .filter(import::Column::Registrar.eq(REGISTRAR))
        .filter(import::Column::State.is_in([ImportState::Checking, ImportState::Pending]))
        .count(&app.db)
        .await
        .expect("query")
}

async fn uploads_sent_at_once_never_pass_the_limit_of_waiting_imports(backend: Backend) {
    const UPLOADS: usize = 12;
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let uploads = (0..UPLOADS).map(|n| {
        browser.upload_csv(
            "students.csv",
            format!("name,address,gpa\nAda {n},1 Main St,3\n"),
        )
    });
    let answers = futures_util::future::join_all(uploads).await;
    let kept = answers
        .iter()
        .filter(|a| a.status == StatusCode::SEE_OTHER)
        .count();
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let waiting = waiting_imports(&app).await;
    println!(
        "{}: {UPLOADS} uploads at once: {kept} kept, {refused} refused, {waiting} waiting (limit {})",
        backend.name(),
        imports::PENDING_PER_REGISTRAR
    );
    assert_eq!(kept as u64, imports::PENDING_PER_REGISTRAR);
    assert_eq!(kept + refused, UPLOADS);
    assert_eq!(waiting, imports::PENDING_PER_REGISTRAR);
}

/// Puts the import at `path` back to "checking", its lease running out
/// `lease` from now (in the past when negative: its instance was killed).
async fn being_checked(app: &registrar::testing::TestApp, path: &str, lease: chrono::Duration) {
    import::Entity::update_many()
        .col_expr(import::Column::State, Expr::value(ImportState::Checking))
        .col_expr(
            import::Column::LeaseUntil,
            Expr::value(Some(registrar::db::now() + lease)),
        )
        .filter(import::Column::Id.eq(import_id(path)))
        .exec(&app.db)
        .await
        .expect("update");
}

async fn a_check_whose_instance_stopped_is_failed_not_left_checking(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    // Five uploads whose instance was killed mid-check: still "checking",
    // their leases run out.
    let mut paths = Vec::new();
    for n in 0..imports::PENDING_PER_REGISTRAR {
        let path = uploaded(&browser, format!("name,address,gpa\nAda {n},1 Main St,3\n")).await;
        being_checked(&app, &path, chrono::Duration::seconds(-1)).await;
        paths.push(path);
    }
    // The page says what happened, and the uploader is not locked out.
    let page = browser.get(&paths[0]).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.is_import_progress(), "{}", page.body);
    assert!(
        page.body
            .contains("The server stopped while this file was being checked")
    );
    uploaded(&browser, "name,address,gpa\nGrace,2 High St,4\n").await;
    for path in &paths {
        let stored = imports::get(&app.db, import_id(path))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.state, ImportState::Failed);
    }
    // A check whose lease is current is still checking.
    let path = uploaded(&browser, "name,address,gpa\nEve,3 Low St,2\n").await;
    being_checked(&app, &path, chrono::Duration::seconds(30)).await;
    assert!(browser.get(&path).await.is_import_progress());
}

async fn a_check_interrupted_by_sigterm_is_failed_at_once(backend: Backend) {
    let app = spawn_app!(backend);
    let mut server = ServerProcess::start(app.database_url()).await;
    let browser = server.signed_in_browser().await;
    // Twenty megabytes of short rows: checked for longer than the upload
    // waits (it answers with the progress page).
    let mut file = b"name,address,gpa\n".to_vec();
    while file.len() < 20 * 1024 * 1024 - 16 {
        file.extend_from_slice(b"A,B,3\n");
    }
    let path = uploaded(&browser, file).await;
    let id = import_id(&path).to_owned();
    let before = imports::get(&app.db, &id).await.unwrap().unwrap().state;
    server.sigterm();
    let exit = server.exit_status(Duration::from_secs(30)).await;
    assert!(exit.is_some_and(|e| e.success()), "{exit:?}");
    let after = imports::get(&app.db, &id).await.unwrap().unwrap();
    println!(
        "{}: an upload {before:?} at SIGTERM is {:?} after",
        backend.name(),
        after.state
    );
    assert_eq!(
        before,
        ImportState::Checking,
        "the check outlasted the upload's wait"
    );
    assert_eq!(after.state, ImportState::Failed);
    // Another instance shows why, at once.
    let elsewhere = app.signed_in_browser().await;
    let page = elsewhere.get(&path).await;
    assert!(
        page.body
            .contains("The server stopped while this file was being checked")
    );
}

async fn import_ids_are_matched_exactly_and_headers_name_each_column_once(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let path = uploaded(&browser, "name,address,gpa\nAda,1 Main St,3\n").await;
    browser.get(&path).await.assert_status(StatusCode::OK);
    let id = import_id(&path);
    let swapped: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    assert_ne!(swapped, id);
    let other = path.replace(id, &swapped);
    browser
        .get(&other)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    browser
        .get(&format!("{other}/refused.csv"))
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let twice = browser
        .upload_csv("twice.csv", "name,address,gpa,NAME\nAda,1 Main St,3,Eve\n")
        .await;
    twice.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("more than once"), "{}", twice.body);
}

async fn a_formula_behind_a_semicolon_is_exported_quoted_and_round_trips(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let name = "a;=cmd|' /C calc'!A0;b";
    let id = app
        .create_student(&browser, name, "1 Main St, Springfield", "3")
        .await;
    let export = browser.get("/students.csv").await;
    export.assert_status(StatusCode::OK);
    assert!(
        export.body.contains("\"a;'=cmd|' /C calc'!A0;b\""),
        "{}",
        export.body
    );
    // The file read back changes nothing.
    let path = uploaded(&browser, export.body.clone()).await;
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Unchanged), 1, "{preview:?}");
    let student = crate::db_checks::student(&app.db, id).await;
    assert_eq!(student.name, name);
}
