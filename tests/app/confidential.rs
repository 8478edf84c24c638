//! Confidential students (contract §15): registrars set the hold (with a
//! reason, versioned like any field); every page that shows the student
//! says "Confidential"; viewers never receive the address (record, list,
//! search, export, history, comparison, change log and its CSV), and their
//! searches do not match on it; registrars see everything. On every
//! backend, through real HTTP.

use axum::http::StatusCode;
use registrar::db::entities::revision;
use registrar::domain::Role;
use registrar::testing::{Backend, Browser, TestApp};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::cli::registrar as registrar_cli;
use crate::roles::{OTHER_PASSWORD, VIEWER, create_account};
use crate::roundtrip::{confirmed, uploaded};
use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(
    a_registrar_sets_the_hold_with_a_reason_and_sees_everything,
    a_viewer_never_receives_a_confidential_address,
    a_viewers_search_does_not_match_a_withheld_address,
    the_import_reads_true_and_false_and_keeps_the_hold_without_the_column,
);

/// The address only the confidential student has: a viewer's answer that
/// holds any part of it has leaked it.
const HIDDEN: &str = "77 Quillfeather Lane";
const HIDDEN_WORD: &str = "quillfeather";
/// An address the hold moves the student away from (in the history).
const OLD: &str = "12 Old Marsh Rd";

/// A student with an earlier address, then made confidential at a new
/// one; returns its id.
async fn confidential_student(app: &TestApp, registrar: &Browser) -> i64 {
    let id = app
        .create_student(registrar, "Noor Haddad", OLD, "3.2")
        .await;
    app.edit_student(
        registrar,
        id,
        &[
            ("address", HIDDEN),
            ("confidential", "true"),
            ("reason", "Directory hold requested by the student"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    id
}

async fn viewer(app: &TestApp) -> Browser {
    create_account(app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    app.signed_in_as(VIEWER, OTHER_PASSWORD).await
}

async fn a_registrar_sets_the_hold_with_a_reason_and_sees_everything(backend: Backend) {
    let app = spawn_app!(backend);
    let registrar = app.signed_in_browser().await;
    let id = confidential_student(&app, &registrar).await;

    let row = db_checks::student(&app.db, id).await;
    assert!(row.confidential);
    assert_eq!(row.version, 2);
    let latest = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .order_by_desc(revision::Column::Version)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(latest.confidential, "the hold is versioned");
    assert_eq!(
        latest.reason.as_deref(),
        Some("Directory hold requested by the student")
    );

    // The record says so prominently; the registrar sees the address.
    let page = registrar.get(&format!("/students/{id}")).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text(".confidential-banner [data-confidential]")
            .is_some()
    );
    assert_eq!(page.text("[data-field=address]").as_deref(), Some(HIDDEN));
    assert_eq!(
        page.text("[data-field=confidential]").as_deref(),
        Some("Yes")
    );
    // The edit form shows the box ticked; the list, the history, the
    // comparison, the export and the change log show everything.
    let form = registrar.get(&format!("/students/{id}/edit")).await;
    assert_eq!(
        form.form(&format!("/students/{id}")).value("confidential"),
        Some("true")
    );
    assert!(form.text("[data-confidential]").is_some());
    for path in [
        "/students".to_owned(),
        format!("/students?q={HIDDEN_WORD}"),
        format!("/students/{id}/history"),
        format!("/students/{id}/history?from=1&to=2"),
        "/students.csv".to_owned(),
        "/changes".to_owned(),
        "/changes.csv".to_owned(),
    ] {
        let page = registrar.get(&path).await;
        page.assert_status(StatusCode::OK);
        assert!(
            page.body.contains(HIDDEN),
            "{path} shows the registrar the address"
        );
        assert!(!page.body.contains("withheld"), "{path}: {}", page.body);
    }

    // The hold is in the revision's hash: the chain holds, and a hold
    // lifted behind registrar's back is found.
    let verified = registrar_cli(&app, &["audit", "verify"], "");
    assert!(verified.status.success(), "{verified:?}");
    app.db
        .execute_unprepared(&format!(
            "UPDATE revisions SET confidential = FALSE WHERE student_id = {id} AND version = 2"
        ))
        .await
        .unwrap();
    let tampered = registrar_cli(&app, &["audit", "verify"], "");
    assert!(!tampered.status.success());
    assert!(
        String::from_utf8_lossy(&tampered.stdout)
            .contains(&format!("student {id} version 2: changed")),
        "{tampered:?}"
    );
    app.db
        .execute_unprepared(&format!(
            "UPDATE revisions SET confidential = TRUE WHERE student_id = {id} AND version = 2"
        ))
        .await
        .unwrap();

    // Unticking the box (the browser then sends nothing) lifts the hold,
    // as a new version.
    let mut form = app.edit_form(&registrar, id, &[]).await;
    form.tick("confidential", false);
    form.submit(&registrar)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let row = db_checks::student(&app.db, id).await;
    assert_eq!((row.confidential, row.version), (false, 3));
    // A value that is not a flag is refused, naming the field.
    let refused = app
        .edit_student(&registrar, id, &[("confidential", "yes")])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("confidential").is_some());
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);
}

async fn a_viewer_never_receives_a_confidential_address(backend: Backend) {
    let app = spawn_app!(backend);
    let registrar = app.signed_in_browser().await;
    let id = confidential_student(&app, &registrar).await;
    let open = app
        .create_student(&registrar, "Open Person", "5 Plain St", "3")
        .await;
    let viewer = viewer(&app).await;

    // The record: marked, its address withheld, the rest shown.
    let page = viewer.get(&format!("/students/{id}")).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text(".confidential-banner [data-confidential]")
            .is_some()
    );
    assert!(page.text("[data-field=address] [data-withheld]").is_some());
    assert_eq!(page.text("h1").as_deref(), Some("Noor Haddad"));
    // Every surface: neither the address now nor the one before the hold
    // (its history) reaches the viewer; another student's does.
    for path in [
        format!("/students/{id}"),
        "/students".to_owned(),
        "/students?q=noor".to_owned(),
        format!("/students/{id}/history"),
        format!("/students/{id}/history?from=1&to=2"),
        "/students.csv".to_owned(),
        "/students.csv?q=noor".to_owned(),
        "/changes".to_owned(),
        "/changes.csv".to_owned(),
        format!("/changes?student={id}"),
    ] {
        let page = viewer.get(&path).await;
        page.assert_status(StatusCode::OK);
        for hidden in [HIDDEN, OLD, "Quillfeather", "Old Marsh"] {
            assert!(
                !page.body.contains(hidden),
                "{path} sent a viewer {hidden:?}:\n{}",
                page.body
            );
        }
    }
    let list = viewer.get("/students").await;
    assert!(
        list.body.contains("5 Plain St"),
        "only the hold is withheld"
    );
    assert_eq!(list.texts("tr.confidential-row").len(), 1);
    assert!(list.text("tr.confidential-row [data-withheld]").is_some());
    // The history says the address changed, not to what.
    let history = viewer.get(&format!("/students/{id}/history")).await;
    assert!(history.text("[data-confidential]").is_some());
    assert!(history.text(".diff [data-withheld]").is_some());
    // The export: the cell empty, the confidential column says why.
    let csv = viewer.get("/students.csv").await.body;
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .expect("the confidential student is exported");
    assert!(
        line.starts_with(&format!("{id},Noor Haddad,,3.20,")),
        "{line}"
    );
    assert!(line.ends_with(",true"), "{line}");
    assert!(csv.lines().any(
        |l| l.starts_with(&format!("{open},Open Person,5 Plain St,")) && l.ends_with(",false")
    ));
    // The change log's CSV marks the change withheld rather than blank.
    let log = viewer.get(&format!("/changes.csv?student={id}")).await.body;
    assert!(log.contains("(withheld),(withheld)"), "{log}");
}

async fn a_viewers_search_does_not_match_a_withheld_address(backend: Backend) {
    let app = spawn_app!(backend);
    let registrar = app.signed_in_browser().await;
    let id = confidential_student(&app, &registrar).await;
    // Another confidential student whose name holds the word: found by it.
    let named = app
        .create_student(&registrar, "Quillfeather Jones", "1 Main St", "3")
        .await;
    app.edit_student(&registrar, named, &[("confidential", "true")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // A numbered confidential student: found by number, not by address.
    app.edit_student(&registrar, id, &[("student_number", "S-77")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let viewer = viewer(&app).await;

    let found = |page: &registrar::testing::Page| -> Vec<String> {
        page.texts("table.students tbody td[data-label=Name] a")
    };
    let by_address = viewer.get(&format!("/students?q={HIDDEN_WORD}")).await;
    assert_eq!(
        found(&by_address),
        ["Quillfeather Jones"],
        "{}",
        by_address.body
    );
    let two_words = viewer.get("/students?q=noor+quillfeather").await;
    assert!(found(&two_words).is_empty(), "{}", two_words.body);
    for q in ["noor", "haddad", "s-77", "noor s-77"] {
        let page = viewer.get(&format!("/students?q={q}")).await;
        assert_eq!(found(&page), ["Noor Haddad"], "q={q}");
    }
    // The export follows the same search.
    let csv = viewer
        .get(&format!("/students.csv?q={HIDDEN_WORD}"))
        .await
        .body;
    assert_eq!(csv.lines().count(), 2, "{csv}");
    // A registrar's search matches on the address.
    let theirs = registrar.get(&format!("/students?q={HIDDEN_WORD}")).await;
    let mut names = found(&theirs);
    names.sort();
    assert_eq!(names, ["Noor Haddad", "Quillfeather Jones"]);
}

async fn the_import_reads_true_and_false_and_keeps_the_hold_without_the_column(backend: Backend) {
    let app = spawn_app!(backend);
    let registrar = app.signed_in_browser().await;
    let ada = app
        .create_student(&registrar, "Ada", "1 Main St", "3")
        .await;
    let bob = app.create_student(&registrar, "Bob", "2 Elm St", "3").await;

    // Excel writes TRUE and FALSE.
    let file = format!(
        "id,name,address,gpa,version,confidential\r\n\
         {ada},Ada,1 Main St,3.00,1,TRUE\r\n\
         {bob},Bob,2 Elm St,3.00,1,FALSE\r\n\
         ,Cy,3 Oak St,2.50,,true\r\n"
    );
    let result = confirmed(&registrar, &uploaded(&registrar, file).await, &[]).await;
    assert_eq!(result.import_result().written, 2, "{}", result.body);
    let ada_row = db_checks::student(&app.db, ada).await;
    assert_eq!((ada_row.confidential, ada_row.version), (true, 2));
    assert_eq!(
        db_checks::student(&app.db, bob).await.version,
        1,
        "unchanged"
    );

    // An older file (no column) changing Ada's GPA keeps her hold.
    // Its preview marks her row confidential.
    let old = format!("id,name,address,gpa,version\r\n{ada},Ada,1 Main St,2.5,2\r\n");
    let path = uploaded(&registrar, old).await;
    let preview = registrar.get(&path).await;
    assert!(
        preview
            .text("tr[data-outcome=update] [data-confidential]")
            .is_some(),
        "{}",
        preview.body
    );
    confirmed(&registrar, &path, &[]).await;
    let ada_row = db_checks::student(&app.db, ada).await;
    assert_eq!((ada_row.confidential, ada_row.gpa_hundredths), (true, 250));

    // A value that is not a flag makes its row invalid; nothing changes.
    let bad =
        format!("id,name,address,gpa,version,confidential\r\n{bob},Bob,2 Elm St,3.00,1,yes\r\n");
    let preview = registrar.get(&uploaded(&registrar, bad).await).await;
    assert_eq!(
        preview
            .import_preview()
            .count(registrar::testing::ImportOutcome::Invalid),
        1
    );
    assert!(preview.body.contains("Confidential is true or false"));
    assert!(!db_checks::student(&app.db, bob).await.confidential);
}
