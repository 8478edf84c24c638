//! The character rule (contract §1): spoofing characters are refused by every
//! way in, text is stored in NFC, and values stored before the rule stay
//! as they are until someone edits them.

use axum::http::StatusCode;
use registrar::db::entities::student;
use registrar::testing::{Backend, Browser, ImportOutcome, Page};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    spoofing_characters_are_refused_by_the_form_and_the_import,
    text_is_stored_in_nfc_and_older_values_stay_until_edited,
);

/// Names that look like another, or turn the text around them.
const SPOOFED: [&str; 6] = [
    "Ada \u{202E}ecalevoL",
    "Ada\u{200B} Lovelace",
    "\u{FEFF}Ada Lovelace",
    "Ada\u{2060}Lovelace",
    "Ada \u{2066}Lovelace\u{2069}",
    "Zq\u{300}\u{316}\u{301}\u{317}\u{302}lgo",
];

async fn upload(browser: &Browser, csv: &str) -> Page {
    let token = browser.csrf_token().await;
    browser
        .post_multipart(
            "/students/import",
            &[("csrf_token", &token)],
            Some(("file", "students.csv", csv.as_bytes().to_vec())),
        )
        .await
}

async fn spoofing_characters_are_refused_by_the_form_and_the_import(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    for spoofed in SPOOFED {
        let page = browser
            .post_with_token(
                "/students",
                &[("name", spoofed), ("address", "1 Main St"), ("gpa", "3")],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let message = page.field_error("name").unwrap_or_default();
        assert!(
            message.contains("invisible") || message.contains("combining marks"),
            "{spoofed:?}: {message:?}"
        );
        let page = browser
            .post_with_token(
                "/students",
                &[("name", "Ada"), ("address", spoofed), ("gpa", "3")],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.field_error("address").is_some(), "{spoofed:?}");

        let refused = upload(
            &browser,
            &format!("name,address,gpa\n{spoofed},1 Main St,3\n"),
        )
        .await;
        refused.assert_status(StatusCode::SEE_OTHER);
        let preview = browser.follow(&refused).await.import_preview();
        assert_eq!(preview.count(ImportOutcome::Invalid), 1, "{spoofed:?}");
        let problems = preview.problems();
        assert!(
            problems.len() == 1
                && (problems[0].message.contains("invisible")
                    || problems[0].message.contains("combining marks")),
            "{spoofed:?}: {problems:?}"
        );
        assert_eq!(
            preview.not_imported.as_ref().map(|n| n.rows),
            Some(1),
            "an invalid row is not imported: {spoofed:?}"
        );
    }
    assert_eq!(db_checks::student_count(&app.db).await, 0);

    // An edit that brings one in is refused too, and changes nothing.
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let page = app
        .edit_student(&browser, id, &[("name", "Ada\u{202E}x")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.field_error("name")
            .unwrap_or_default()
            .contains("U+202E")
    );
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!((stored.name.as_str(), stored.version), ("Ada", 1));

    // Real names in scripts that need joiners and right-to-left text pass.
    for (name, address) in [
        ("مهدی‌زاده", "خیابان ولیعصر ۱۲"),
        ("נועה כהן", "רחוב הרצל 1, תל אביב"),
        ("श्‍री अनिल", "മലപ്പുറം"),
    ] {
        let id = app.create_student(&browser, name, address, "3").await;
        let stored = db_checks::student(&app.db, id).await;
        assert_eq!(
            (stored.name.as_str(), stored.address.as_str()),
            (name, address)
        );
    }
    let imported = upload(&browser, "name,address,gpa\nمهدی‌زاده,1 Main St,3\n").await;
    imported.assert_status(StatusCode::SEE_OTHER);

    // Rendered isolated wherever it sits among our words.
    let name = "محمد علی";
    let id = app.create_student(&browser, name, "1 Main St", "3").await;
    let show = browser.get(&format!("/students/{id}")).await;
    assert!(
        show.title().contains(&format!("\u{2068}{name}\u{2069}")),
        "{}",
        show.title()
    );
    assert!(show.body.contains(&format!("<h1 dir=\"auto\">{name}</h1>")));
    let history = browser.get(&format!("/students/{id}/history")).await;
    assert!(
        history
            .body
            .contains(&format!("History of <bdi>{name}</bdi>"))
    );
    let list = browser.get("/students?q=%D9%85%D8%AD%D9%85%D8%AF").await;
    assert!(list.body.contains("<bdi>محمد</bdi>"), "the query, isolated");
}

async fn text_is_stored_in_nfc_and_older_values_stay_until_edited(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let decomposed = "Nguye\u{302}\u{323}n";
    let id = app
        .create_student(&browser, decomposed, "1 Main St", "3")
        .await;
    assert_eq!(db_checks::student(&app.db, id).await.name, "Nguyện");

    // Stored before the rule: a decomposed name and an address with an
    // override in it.
    let old_name = "Ame\u{301}lie";
    let old_address = "1 Main St \u{202E}x";
    student::Entity::update_many()
        .col_expr(student::Column::Name, Expr::value(old_name))
        .col_expr(student::Column::Address, Expr::value(old_address))
        .filter(student::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();

    // Saved as it was: nothing changes, and the values stay as stored.
    let page = app.edit_student(&browser, id, &[]).await;
    page.assert_redirect_to(&format!("/students/{id}"));
    assert_eq!(
        browser.follow(&page).await.flash().as_deref(),
        Some("No changes")
    );
    // Typed in NFC, the same name is still no change.
    let page = app.edit_student(&browser, id, &[("name", "Amélie")]).await;
    assert_eq!(
        browser.follow(&page).await.flash().as_deref(),
        Some("No changes")
    );
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (
            stored.name.as_str(),
            stored.address.as_str(),
            stored.version
        ),
        (old_name, old_address, 1)
    );

    // Only the GPA edited: saved, the other values kept as they were.
    app.edit_student(&browser, id, &[("gpa", "3.5")])
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (
            stored.name.as_str(),
            stored.address.as_str(),
            stored.version
        ),
        (old_name, old_address, 2)
    );

    // A changed address must follow the rule.
    let page = app
        .edit_student(&browser, id, &[("address", "2 Main St \u{202E}x")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("address").is_some());
    app.edit_student(&browser, id, &[("address", "2 Main St")])
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    assert_eq!(db_checks::student(&app.db, id).await.version, 3);
}
