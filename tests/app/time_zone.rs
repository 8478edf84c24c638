//! The office's time zone (`--time-zone`, contract §12): every time a page
//! shows is in it, the zone named; `datetime` attributes and CSV files stay
//! UTC. The zone belongs to the server, not the process: here one process
//! runs two instances on one database, in Berlin and in UTC.

use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use registrar::db::entities::{registrar as account, revision, session, student};
use registrar::testing::{AppOptions, Backend, Page, TestApp};
use registrar::zone::Zone;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::on_every_backend;

on_every_backend!(pages_show_times_in_the_office_zone_and_machines_read_utc);

/// Winter in Berlin: UTC+1, "CET".
fn winter() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 7, 9, 14, 3).unwrap()
}

/// Summer in Berlin: UTC+2, "CEST".
fn summer() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 1, 9, 14, 3).unwrap()
}

const WINTER_ISO: &str = "2025-12-07T09:14:03.000000Z";
const SUMMER_ISO: &str = "2025-07-01T09:14:03.000000Z";
const WINTER_BERLIN: &str = "2025-12-07 10:14:03 CET";
const SUMMER_BERLIN: &str = "2025-07-01 11:14:03 CEST";

/// Asserts that `page` shows the instant `iso` as `text`, and no time in
/// UTC.
fn assert_shows(page: &Page, iso: &str, text: &str) {
    let times = page.times();
    assert!(
        times.iter().any(|(d, t)| d == iso && t == text),
        "{} shows {iso} as {text:?}: {times:?}",
        page.path
    );
    assert!(
        times
            .iter()
            .all(|(d, t)| d.ends_with('Z') && !t.ends_with("UTC")),
        "{}: every datetime in UTC, no text in UTC: {times:?}",
        page.path
    );
}

/// Sets when `id` was created (version 1) and last changed (its newest
/// version), in its row and its revisions.
async fn set_times(db: &DatabaseConnection, id: i64, newest: i64) {
    student::Entity::update_many()
        .col_expr(student::Column::CreatedAt, Expr::value(summer()))
        .col_expr(student::Column::UpdatedAt, Expr::value(winter()))
        .filter(student::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("times set");
    for (version, at) in [(1, summer()), (newest, winter())] {
        revision::Entity::update_many()
            .col_expr(revision::Column::At, Expr::value(at))
            .filter(revision::Column::StudentId.eq(id))
            .filter(revision::Column::Version.eq(version))
            .exec(db)
            .await
            .expect("times set");
    }
}

async fn pages_show_times_in_the_office_zone_and_machines_read_utc(backend: Backend) {
    let options = AppOptions {
        time_zone: "Europe/Berlin".parse::<Zone>().unwrap(),
        ..AppOptions::default()
    };
    let Some(berlin) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let utc = berlin.another_instance_with(AppOptions::default()).await;
    let browser = berlin.signed_in_browser().await;
    let elsewhere = utc.signed_in_browser().await;

    let id = berlin
        .create_student(&browser, "Ada", "1 Main St", "3.00")
        .await;
    berlin
        .edit_student(&browser, id, &[("address", "2 High St")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    set_times(&berlin.db, id, 2).await;
    session::Entity::update_many()
        .col_expr(session::Column::CreatedAt, Expr::value(winter()))
        .exec(&berlin.db)
        .await
        .expect("times set");
    account::Entity::update_many()
        .col_expr(account::Column::CreatedAt, Expr::value(summer()))
        .col_expr(account::Column::LastSignInAt, Expr::value(winter()))
        .exec(&berlin.db)
        .await
        .expect("times set");

    let record = browser.get(&format!("/students/{id}")).await;
    record.assert_status(StatusCode::OK);
    assert_shows(&record, WINTER_ISO, WINTER_BERLIN);
    assert_shows(&record, SUMMER_ISO, SUMMER_BERLIN);
    let history = browser.get(&format!("/students/{id}/history")).await;
    assert_shows(&history, WINTER_ISO, WINTER_BERLIN);
    assert_shows(&history, SUMMER_ISO, SUMMER_BERLIN);
    let compare = browser
        .get(&format!("/students/{id}/history?from=1&to=2"))
        .await;
    compare.assert_status(StatusCode::OK);
    assert_shows(&compare, SUMMER_ISO, SUMMER_BERLIN);
    assert_shows(&browser.get("/students").await, WINTER_ISO, WINTER_BERLIN);
    assert_shows(&browser.get("/changes").await, WINTER_ISO, WINTER_BERLIN);
    let account = browser.get("/account").await;
    assert_shows(&account, WINTER_ISO, WINTER_BERLIN);
    assert!(
        account.body.contains(&format!(
            "aria-label=\"Sign out the session started {WINTER_BERLIN}\""
        )),
        "the other session's button names its start in the zone: {}",
        account.body
    );
    assert_shows(&browser.get("/accounts").await, WINTER_ISO, WINTER_BERLIN);
    assert_shows(
        &browser.get("/accounts/registrar").await,
        SUMMER_ISO,
        SUMMER_BERLIN,
    );

    // The conflict page names the change the form missed in the zone.
    let stale = berlin.edit_form(&browser, id, &[("gpa", "3.1")]).await;
    berlin
        .edit_student(&browser, id, &[("gpa", "3.2")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    set_times(&berlin.db, id, 3).await;
    let conflict = stale.submit(&browser).await;
    conflict.assert_status(StatusCode::CONFLICT);
    assert_shows(&conflict, WINTER_ISO, WINTER_BERLIN);

    // A deleted record's page says when, in the zone.
    let gone = berlin
        .create_student(&browser, "Grace", "3 Low St", "3.50")
        .await;
    browser
        .post_with_token(&format!("/students/{gone}/delete"), &[("version", "1")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    student::Entity::update_many()
        .col_expr(student::Column::DeletedAt, Expr::value(winter()))
        .filter(student::Column::Id.eq(gone))
        .exec(&berlin.db)
        .await
        .expect("times set");
    let page = browser.get(&format!("/students/{gone}")).await;
    page.assert_status(StatusCode::GONE);
    assert_shows(&page, WINTER_ISO, WINTER_BERLIN);

    // An import's preview: checked now, in the zone.
    let upload = browser
        .upload_csv("new.csv", "name,address,gpa\nAlan,4 Elm St,3.00\n")
        .await;
    upload.assert_status(StatusCode::SEE_OTHER);
    let preview = browser
        .wait_for_import(upload.location().expect("a preview"))
        .await;
    let times = preview.times();
    assert!(
        !times.is_empty()
            && times.iter().all(|(iso, text)| iso.ends_with('Z')
                && (text.ends_with(" CET") || text.ends_with(" CEST"))),
        "{times:?}"
    );

    // Machines read UTC: the CSV is as it was.
    let csv = browser.get("/students.csv").await;
    csv.assert_status(StatusCode::OK);
    assert!(csv.body.contains(WINTER_ISO), "{}", csv.body);
    assert!(!csv.body.contains("CET"), "{}", csv.body);

    // The other instance, in the same process on the same database, shows
    // the same instants in its own zone (the default, UTC).
    let record = elsewhere.get(&format!("/students/{id}")).await;
    let times = record.times();
    assert!(
        times.contains(&(WINTER_ISO.to_owned(), "2025-12-07 09:14:03 UTC".to_owned()))
            && times.contains(&(SUMMER_ISO.to_owned(), "2025-07-01 09:14:03 UTC".to_owned())),
        "{times:?}"
    );
}
