//! Student numbers (contract §12): optional, upper-cased, unique among all
//! students regardless of case, on every path; a taken number is a `422`
//! naming the record that has it, also when two registrars give it at the
//! same instant.

use axum::http::StatusCode;
use registrar::db::entities::student;
use registrar::testing::{Backend, Browser, Outcomes, TestApp, concurrently};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::db_checks;
use crate::roundtrip::{confirmed, uploaded};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    numbers_are_upper_cased_shown_and_refused_when_taken,
    two_creates_with_one_number_at_once_commit_one,
    two_edits_giving_one_number_at_once_commit_one,
    numbers_travel_through_the_export_and_the_import,
);

/// Creates a student with `number` through the create form.
async fn create_numbered(browser: &Browser, name: &str, number: &str) -> registrar::testing::Page {
    let mut form = browser.get("/students/new").await.form("/students");
    form.set("name", name)
        .set("address", "1 Main St")
        .set("gpa", "3.5")
        .set("student_number", number);
    form.submit(browser).await
}

fn id_of(page: &registrar::testing::Page) -> i64 {
    let location = page.location().unwrap_or_default();
    location
        .strip_prefix("/students/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("expected a record's address, got {location:?}"))
}

async fn holders(app: &TestApp, number: &str) -> Vec<i64> {
    student::Entity::find()
        .filter(student::Column::StudentNumber.eq(number))
        .all(&app.db)
        .await
        .expect("query")
        .into_iter()
        .map(|s| s.id)
        .collect()
}

async fn numbers_are_upper_cased_shown_and_refused_when_taken(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;

    let created = create_numbered(&browser, "Ada Lovelace", " s-2026-0042 ").await;
    created.assert_status(StatusCode::SEE_OTHER);
    let ada = id_of(&created);
    let stored = db_checks::student(&app.db, ada).await;
    assert_eq!(stored.student_number.as_deref(), Some("S-2026-0042"));
    let page = browser.get(&format!("/students/{ada}")).await;
    assert_eq!(
        page.text("[data-student-number]").as_deref(),
        Some("S-2026-0042")
    );
    let list = browser.get("/students").await;
    assert!(list.texts("td.number").contains(&"S-2026-0042".to_owned()));

    // The same number in another case: refused, naming Ada with a link.
    let students_before = db_checks::student_count(&app.db).await;
    let refused = create_numbered(&browser, "Grace Hopper", "S-2026-0042").await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused.field_error("student_number").expect("a message");
    assert!(
        message.contains("S-2026-0042") && message.contains("Ada Lovelace"),
        "{message}"
    );
    assert_eq!(
        refused.href(".error-message a.holder").as_deref(),
        Some(format!("/students/{ada}").as_str())
    );
    assert_eq!(db_checks::student_count(&app.db).await, students_before);
    // What was typed is kept.
    let kept = refused.form("/students");
    assert_eq!(kept.value("name"), Some("Grace Hopper"));

    // Without a number, and then given one by an edit, and refused one.
    let grace = app
        .create_student(&browser, "Grace Hopper", "2 Main St", "3.9")
        .await;
    assert_eq!(
        db_checks::student(&app.db, grace).await.student_number,
        None
    );
    let taken = app
        .edit_student(&browser, grace, &[("student_number", "s-2026-0042")])
        .await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.field_error("student_number").is_some());
    assert_eq!(db_checks::student(&app.db, grace).await.version, 1);
    app.edit_student(&browser, grace, &[("student_number", "g-1")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let grace_row = db_checks::student(&app.db, grace).await;
    assert_eq!(grace_row.student_number.as_deref(), Some("G-1"));
    assert_eq!(grace_row.version, 2);
    // Keeping one's own number is no conflict with oneself.
    app.edit_student(&browser, grace, &[("gpa", "3.1")])
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // A badly formed number is refused by its rule.
    for bad in ["S 42", "S_42", "ÉCOLE-1", &"9".repeat(21)] {
        let page = create_numbered(&browser, "Bad Number", bad).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.field_error("student_number").is_some(), "{bad:?}");
    }

    // A deleted student keeps its number: still taken.
    let delete = browser.get(&format!("/students/{ada}/delete")).await;
    delete
        .form(&format!("/students/{ada}/delete"))
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let after_delete = create_numbered(&browser, "Ada Again", "S-2026-0042").await;
    after_delete.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let message = after_delete
        .field_error("student_number")
        .unwrap_or_default();
    assert!(message.contains("deleted"), "{message}");

    // The history names the change of number.
    let history = browser.get(&format!("/students/{grace}/history")).await;
    assert!(history.body.contains("G-1"), "the history shows the number");
}

/// Rounds of two registrars creating students with one number at the same
/// instant: exactly one `303`, the other a `422` naming the first (never a
/// `500`, never a `409`), and one student holds the number.
async fn two_creates_with_one_number_at_once_commit_one(backend: Backend) {
    const ROUNDS: usize = 12;
    let app = spawn_app!(backend);
    let browsers = app.signed_in_browsers(2).await;
    for round in 0..ROUNDS {
        let number = format!("RACE-{round}");
        let outcomes = concurrently(2, |client, start| {
            let browser = browsers[client].clone();
            let number = number.clone();
            async move {
                let mut form = browser.get("/students/new").await.form("/students");
                form.set("name", &format!("Racer {client}"))
                    .set("address", "1 Main St")
                    .set("gpa", "3.0")
                    .set("student_number", &number);
                start.wait().await;
                let page = form.submit(&browser).await;
                if page.status == StatusCode::UNPROCESSABLE_ENTITY {
                    let message = page.field_error("student_number").unwrap_or_default();
                    assert!(message.contains(&number), "{message}");
                    assert!(page.href(".error-message a.holder").is_some());
                }
                Outcomes::of(page.status)
            }
        })
        .await;
        assert_eq!(
            outcomes.count(StatusCode::SEE_OTHER),
            1,
            "round {round}: {outcomes:?}"
        );
        assert_eq!(
            outcomes.count(StatusCode::UNPROCESSABLE_ENTITY),
            1,
            "round {round}: {outcomes:?}"
        );
        assert_eq!(holders(&app, &number).await.len(), 1);
    }
    // One create each round, each with its one revision.
    let students = student::Entity::find().count(&app.db).await.expect("count");
    assert_eq!(students, ROUNDS as u64);
}

/// Rounds of two registrars each editing their own record to one new
/// number at the same instant: one `303`, one `422` about the number (not
/// a `409`: nobody changed the record they opened); version − 1 equals
/// the revisions of each record.
async fn two_edits_giving_one_number_at_once_commit_one(backend: Backend) {
    const ROUNDS: usize = 12;
    let app = spawn_app!(backend);
    let browsers = app.signed_in_browsers(2).await;
    let ids = [
        app.create_student(&browsers[0], "Left", "1 Main St", "3.0")
            .await,
        app.create_student(&browsers[0], "Right", "2 Main St", "3.0")
            .await,
    ];
    let mut written = 0;
    for round in 0..ROUNDS {
        let number = format!("EDIT-{round}");
        let outcomes = concurrently(2, |client, start| {
            let browser = browsers[client].clone();
            let number = number.clone();
            let id = ids[client];
            async move {
                let mut form = browser
                    .get(&format!("/students/{id}/edit"))
                    .await
                    .form(&format!("/students/{id}"));
                form.set("student_number", &number);
                start.wait().await;
                let page = form.submit(&browser).await;
                if page.status == StatusCode::UNPROCESSABLE_ENTITY {
                    assert!(page.field_error("student_number").is_some());
                }
                Outcomes::of(page.status)
            }
        })
        .await;
        assert_eq!(
            outcomes.count(StatusCode::SEE_OTHER),
            1,
            "round {round}: {outcomes:?}"
        );
        assert_eq!(
            outcomes.count(StatusCode::UNPROCESSABLE_ENTITY),
            1,
            "round {round}: {outcomes:?}"
        );
        written += 1;
        assert_eq!(holders(&app, &number).await.len(), 1);
    }
    let mut versions = 0;
    for id in ids {
        let row = db_checks::student(&app.db, id).await;
        assert_eq!(
            row.version - 1,
            i64::try_from(db_checks::all_revisions(&app.db, id).await).unwrap() - 1
        );
        versions += row.version - 1;
    }
    assert_eq!(versions, written);
}

/// The export writes `student_number` after `updated_at`; importing it
/// back changes nothing; a file without the column leaves numbers as they
/// are; a number another student holds makes its row invalid.
async fn numbers_travel_through_the_export_and_the_import(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = id_of(&create_numbered(&browser, "Ada Lovelace", "a-1").await);
    let grace = id_of(&create_numbered(&browser, "Grace Hopper", "g-1").await);

    let csv = browser.get("/students.csv").await.body;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,name,address,gpa,version,updated_at,student_number,confidential")
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("{ada},")) && l.ends_with(",A-1,false"))
    );

    // An old export (no number column) changing Ada's GPA keeps her number.
    let old = format!("id,name,address,gpa,version\r\n{ada},Ada Lovelace,1 Main St,2.5,1\r\n");
    let path = uploaded(&browser, old).await;
    confirmed(&browser, &path, &[]).await;
    let row = db_checks::student(&app.db, ada).await;
    assert_eq!((row.gpa_hundredths, row.version), (250, 2));
    assert_eq!(row.student_number.as_deref(), Some("A-1"));

    // A file giving Grace's number to Ada: that row is invalid, naming Grace.
    let taken = format!(
        "id,name,address,gpa,version,student_number\r\n{ada},Ada Lovelace,1 Main St,2.5,2,g-1\r\n"
    );
    let preview = browser.get(&uploaded(&browser, taken).await).await;
    let reading = preview.import_preview();
    assert_eq!(reading.count(registrar::testing::ImportOutcome::Invalid), 1);
    assert!(
        preview.body.contains("Grace Hopper"),
        "the problem names Grace"
    );
    assert_eq!(
        db_checks::student(&app.db, grace)
            .await
            .student_number
            .as_deref(),
        Some("G-1")
    );
}
