//! Creating, reading, editing, listing and deleting students.

use axum::http::StatusCode;
use registrar::db::entities::revision::Action;
use registrar::testing::{Backend, HistoryAction};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    creates_a_student_and_shows_it,
    create_refuses_each_invalid_field_keeping_the_input,
    accepts_the_documented_gpa_spellings,
    updates_a_student_as_the_next_version,
    invalid_edit_keeps_the_input_and_changes_nothing,
    a_save_that_changes_nothing_commits_nothing,
    deletes_a_student_and_keeps_its_history,
    lists_search_sort_paginate_and_count,
    exports_the_list_as_csv,
    user_text_is_stored_as_typed_and_rendered_escaped,
);

async fn creates_a_student_and_shows_it(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "  Ada Lovelace ", "12 St James's Sq", " 3.9 ")
        .await;

    let page = browser.get(&format!("/students/{id}")).await;
    page.assert_status(StatusCode::OK);
    page.assert_flash("Student created");
    assert_eq!(page.text("h1").as_deref(), Some("Ada Lovelace"));
    assert!(page.body.contains("3.90"));
    assert_eq!(page.text("[data-version]").as_deref(), Some("1"));
    // The flash is shown once.
    let again = browser.get(&format!("/students/{id}")).await;
    assert_eq!(again.flash(), None);

    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(stored.name, "Ada Lovelace");
    assert_eq!(stored.address, "12 St James's Sq");
    assert_eq!(stored.gpa_hundredths, 390);
    assert_eq!(stored.version, 1);
    assert_eq!(db_checks::revisions(&app.db, id, Action::Created).await, 1);
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 1);
}

async fn create_refuses_each_invalid_field_keeping_the_input(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let long_name = "n".repeat(31);
    let long_address = "a".repeat(61);
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("", "1 Main St", "3", &["name"]),
        ("   ", "1 Main St", "3", &["name"]),
        (&long_name, "1 Main St", "3", &["name"]),
        ("Ada\u{7}", "1 Main St", "3", &["name"]),
        ("Ada", "", "3", &["address"]),
        ("Ada", &long_address, "3", &["address"]),
        ("Ada", "1 Main St\nFlat 2", "3", &["address"]),
        ("Ada", "1 Main St", "", &["gpa"]),
        ("Ada", "1 Main St", "3.675", &["gpa"]),
        ("Ada", "1 Main St", "4.01", &["gpa"]),
        ("Ada", "1 Main St", "-0.5", &["gpa"]),
        ("Ada", "1 Main St", "abc", &["gpa"]),
        ("Ada", "1 Main St", "NaN", &["gpa"]),
        ("Ada", "1 Main St", "inf", &["gpa"]),
        ("Ada", "1 Main St", "1e0", &["gpa"]),
        ("Ada", "1 Main St", "656", &["gpa"]),
        ("Ada", "1 Main St", "655.36", &["gpa"]),
        ("Ada", "1 Main St", "700", &["gpa"]),
        ("", "", "x", &["name", "address", "gpa"]),
    ];
    for (name, address, gpa, bad_fields) in cases {
        let page = browser
            .post_with_token(
                "/students",
                &[("name", name), ("address", address), ("gpa", gpa)],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.title().starts_with("Error: "),
            "title {:?}",
            page.title()
        );
        assert_eq!(
            page.error_summary().len(),
            bad_fields.len(),
            "{name:?} {address:?} {gpa:?}"
        );
        for field in ["name", "address", "gpa"] {
            if bad_fields.contains(&field) {
                page.assert_field_error(field, "");
            } else {
                page.assert_no_field_error(field);
            }
        }
        // What was typed comes back in the form.
        let form = page.form("/students");
        assert_eq!(form.value("name"), Some(*name));
        assert_eq!(form.value("address"), Some(*address));
        assert_eq!(form.value("gpa"), Some(*gpa));
    }
    // Missing fields read as empty: a 422, not a 400.
    browser
        .post_with_token("/students", &[("name", "Ada")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db_checks::student_count(&app.db).await, 0);
}

async fn accepts_the_documented_gpa_spellings(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    for (gpa, hundredths) in [
        ("3", 300),
        ("3.5", 350),
        ("3.67", 367),
        (" 3.67 ", 367),
        ("0", 0),
        ("4.00", 400),
    ] {
        let id = app.create_student(&browser, "Ada", "1 Main St", gpa).await;
        assert_eq!(
            db_checks::student(&app.db, id).await.gpa_hundredths,
            hundredths,
            "{gpa:?}"
        );
    }
}

async fn updates_a_student_as_the_next_version(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.00")
        .await;

    let edit = browser.get(&format!("/students/{id}/edit")).await;
    edit.assert_status(StatusCode::OK);
    let mut form = edit.form(&format!("/students/{id}"));
    assert_eq!(form.value("version"), Some("1"));
    assert_eq!(form.value("gpa"), Some("3.00"));
    form.set("name", "Ada Lovelace").set("gpa", "3.5");
    let saved = form.submit(&browser).await;
    saved.assert_redirect_to(&format!("/students/{id}"));
    let page = browser.follow(&saved).await;
    page.assert_flash("Saved");
    assert_eq!(page.text("[data-version]").as_deref(), Some("2"));
    assert!(page.text(".record").unwrap().contains("by registrar"));

    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (stored.name.as_str(), stored.gpa_hundredths, stored.version),
        ("Ada Lovelace", 350, 2)
    );
    assert_eq!(db_checks::revisions(&app.db, id, Action::Updated).await, 1);

    let history = browser.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    let entries = history.history().entries;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0].action, entries[0].version),
        (HistoryAction::Updated, 2)
    );
    assert_eq!(entries[0].registrar, "registrar");
    assert_eq!(
        entries[0].changed("Name"),
        Some((Some("Ada"), "Ada Lovelace"))
    );
    assert_eq!(entries[0].changed("GPA"), Some((Some("3.00"), "3.50")));
    assert_eq!(
        entries[0].change("Address"),
        None,
        "unchanged fields are not listed: {entries:?}"
    );
    assert_eq!(
        (entries[1].action, entries[1].version),
        (HistoryAction::Created, 1)
    );
}

async fn invalid_edit_keeps_the_input_and_changes_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.00")
        .await;
    let mut form = browser
        .get(&format!("/students/{id}/edit"))
        .await
        .form(&format!("/students/{id}"));
    form.set("name", "").set("gpa", "9");
    let page = form.submit(&browser).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("name", "")
        .assert_field_error("gpa", "")
        .assert_no_field_error("address");
    let again = page.form(&format!("/students/{id}"));
    assert_eq!(
        again.value("version"),
        Some("1"),
        "the version stays the one the form was opened at"
    );
    assert_eq!(again.value("gpa"), Some("9"));
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 1);

    // Correcting it saves.
    let mut again = again;
    again.set("name", "Ada").set("gpa", "4");
    again
        .submit(&browser)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
}

async fn a_save_that_changes_nothing_commits_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.5")
        .await;
    let mut form = browser
        .get(&format!("/students/{id}/edit"))
        .await
        .form(&format!("/students/{id}"));
    // Same values, spelled differently: still no change.
    form.set("name", " Ada ").set("gpa", "3.50");
    let page = form.submit(&browser).await;
    page.assert_redirect_to(&format!("/students/{id}"));
    browser.follow(&page).await.assert_flash("No changes");
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(stored.version, 1);
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 1);
}

async fn deletes_a_student_and_keeps_its_history(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.5")
        .await;
    let confirm = browser.get(&format!("/students/{id}/delete")).await;
    let deleted = confirm
        .form(&format!("/students/{id}/delete"))
        .submit(&browser)
        .await;
    deleted.assert_redirect_to("/students");
    // The list names what was deleted and offers to undo it: the deleted
    // record's page, which undeletes.
    let list = browser.follow(&deleted).await;
    list.assert_flash("Ada deleted. Undo");
    assert_eq!(
        list.href("[role=status] a").as_deref(),
        Some(format!("/students/{id}").as_str())
    );
    // Shown once.
    assert_eq!(browser.get("/students").await.flash(), None);

    let gone = browser.get(&format!("/students/{id}")).await;
    gone.assert_status(StatusCode::GONE);
    assert!(gone.body.contains("Deleted by"));
    assert!(gone.body.contains("registrar"));
    browser
        .get(&format!("/students/{id}/edit"))
        .await
        .assert_status(StatusCode::GONE);

    let history = browser.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    let history = history.history();
    assert!(history.deleted);
    let newest = &history.entries[0];
    assert_eq!((newest.action, newest.version), (HistoryAction::Deleted, 2));

    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(stored.version, 2);
    assert!(stored.deleted_at.is_some());
    assert_eq!(db_checks::revisions(&app.db, id, Action::Deleted).await, 1);

    // Gone from the list, and a later edit of the old form is a conflict.
    let list = browser.get("/students").await;
    assert!(list.body.contains("No students"));
    let page = browser
        .post_with_token(
            &format!("/students/{id}"),
            &[
                ("name", "Ada"),
                ("address", "x"),
                ("gpa", "1"),
                ("version", "1"),
            ],
        )
        .await;
    page.assert_status(StatusCode::CONFLICT);
}

async fn lists_search_sort_paginate_and_count(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let people = [
        ("Charlie Brown", "3 Peanut Rd", "2.50"),
        ("alice Adams", "9 Elm St", "3.90"),
        ("Bob Baker", "7 Main St", "3.10"),
        ("Dora Diaz", "1 Elm St", "1.00"),
        ("Émile Zola", "10 Rue Main", "4.00"),
    ];
    for (name, address, gpa) in people {
        app.create_student(&browser, name, address, gpa).await;
    }

    let names = |page: &registrar::testing::Page| page.texts("table.students tbody td:first-child");
    let all = browser.get("/students").await;
    all.assert_status(StatusCode::OK);
    assert_eq!(all.text("[data-total]").as_deref(), Some("5"));

    let by_gpa = browser.get("/students?sort=-gpa").await;
    assert_eq!(
        names(&by_gpa),
        [
            "Émile Zola",
            "alice Adams",
            "Bob Baker",
            "Charlie Brown",
            "Dora Diaz"
        ]
    );
    let by_gpa = browser.get("/students?sort=gpa").await;
    assert_eq!(names(&by_gpa)[0], "Dora Diaz");
    let by_updated = browser.get("/students?sort=-updated").await;
    assert_eq!(names(&by_updated)[0], "Émile Zola");
    // Names sort without regard to case, alike on every backend.
    let by_name = browser.get("/students?sort=name").await;
    assert_eq!(
        names(&by_name),
        [
            "alice Adams",
            "Bob Baker",
            "Charlie Brown",
            "Dora Diaz",
            "Émile Zola"
        ]
    );
    let by_name = browser.get("/students?sort=-name").await;
    assert_eq!(names(&by_name)[4], "alice Adams");

    // Case-insensitive, on name or address, including non-ASCII.
    let main = browser.get("/students?q=MAIN").await;
    assert_eq!(main.text("[data-total]").as_deref(), Some("2"));
    let elm = browser.get("/students?q=elm+st&sort=gpa").await;
    assert_eq!(names(&elm), ["Dora Diaz", "alice Adams"]);
    let emile = browser.get("/students?q=%C3%A9mile").await;
    assert_eq!(names(&emile), ["Émile Zola"]);
    // Accents are folded alike on every backend (contract §12).
    let emile = browser.get("/students?q=EMILE").await;
    assert_eq!(names(&emile), ["Émile Zola"]);
    // Wildcards are matched literally.
    let pct = browser.get("/students?q=%25").await;
    assert!(pct.body.contains("No students"));
    let underscore = browser.get("/students?q=_").await;
    assert!(underscore.body.contains("No students"));

    // Pages of two: 3 pages, the last with one row; the count stays 5.
    let page1 = browser.get("/students?per_page=2&sort=gpa").await;
    assert_eq!(names(&page1), ["Dora Diaz", "Charlie Brown"]);
    let page3 = browser.get("/students?per_page=2&sort=gpa&page=3").await;
    assert_eq!(names(&page3), ["Émile Zola"]);
    assert_eq!(page3.text("[data-total]").as_deref(), Some("5"));
    assert!(page3.text(".pagination").unwrap().contains("Page 3 of 3"));
    // "Next" and "Previous" walk by cursor and keep saying where they are.
    let next = browser
        .get(&page1.href(".pagination a[rel=next]").expect("a next page"))
        .await;
    assert!(next.text(".pagination").unwrap().contains("Page 2 of 3"));
    let last = browser
        .get(&next.href(".pagination a[rel=next]").expect("a last page"))
        .await;
    assert_eq!(names(&last), ["Émile Zola"]);
    assert!(last.text(".pagination").unwrap().contains("Page 3 of 3"));
    let back = browser
        .get(
            &last
                .href(".pagination a[rel=prev]")
                .expect("a previous page"),
        )
        .await;
    assert_eq!(names(&back), names(&next));
    assert!(back.text(".pagination").unwrap().contains("Page 2 of 3"));
    let beyond = browser.get("/students?per_page=2&page=99").await;
    beyond.assert_status(StatusCode::OK);
    assert!(names(&beyond).is_empty());

    // Bad values fall back to defaults instead of failing.
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=0",
        "per_page=100000",
        "sort=drop+table",
        "page=99999999999999999999999",
    ] {
        let page = browser.get(&format!("/students?{query}")).await;
        page.assert_status(StatusCode::OK);
    }
}

async fn exports_the_list_as_csv(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let a = app
        .create_student(&browser, "=HYPERLINK(\"x\")", "1 Main St, Apt \"2\"", "3.5")
        .await;
    let b = app.create_student(&browser, "Bob", "-2 Elm St", "4").await;
    app.create_student(&browser, "Carol", "9 Oak Ave", "2")
        .await;

    let csv = browser.get("/students.csv").await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,name,address,gpa,version,updated_at,student_number,confidential"
    );
    assert_eq!(lines.len(), 5, "{lines:?}"); // header, 3 rows, final empty
    assert!(
        lines[1].starts_with(&format!(
            "{a},\"'=HYPERLINK(\"\"x\"\")\",\"1 Main St, Apt \"\"2\"\"\",3.50,1,"
        )),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(&format!("{b},Bob,'-2 Elm St,4.00,1,")),
        "{}",
        lines[2]
    );

    let filtered = browser.get("/students.csv?q=elm").await;
    assert_eq!(
        filtered
            .body
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .count(),
        2
    );
}

async fn user_text_is_stored_as_typed_and_rendered_escaped(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    // Lengths count characters, not bytes, in the database too.
    for (name, address) in [
        ("字".repeat(30), "😀".repeat(60)),
        ("é".repeat(30), "ß".repeat(60)),
    ] {
        let id = app.create_student(&browser, &name, &address, "1").await;
        let stored = db_checks::student(&app.db, id).await;
        assert_eq!((stored.name, stored.address), (name, address));
    }
    browser
        .post_with_token(
            "/students",
            &[("name", &"字".repeat(31)), ("address", "x"), ("gpa", "1")],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let name = "<script>x</script>";
    let address = "O'Brien & \"Sons\" 😀 字";
    let id = app.create_student(&browser, name, address, "1").await;
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(stored.name, name);
    assert_eq!(stored.address, address);
    let page = browser.get(&format!("/students/{id}")).await;
    assert!(!page.body.contains("<script>"));
    assert!(page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"));
    assert_eq!(page.text("h1").as_deref(), Some(name));
    let edit = browser.get(&format!("/students/{id}/edit")).await;
    assert_eq!(
        edit.form(&format!("/students/{id}")).value("address"),
        Some(address)
    );
}
