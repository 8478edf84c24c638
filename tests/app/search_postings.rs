//! Search stays exact whichever path writes a student (contract §12, issue
//! 31): after a create, a rename by the form and by the API, an import that
//! renames, a delete, an undelete and a restore, every search finds exactly
//! the live students whose search key holds each folded word, the rule
//! checked here in Rust on every row. On MariaDB the search reads the
//! trigram postings the write core keeps (migration 22,
//! `students::store::postings`): they are compared with
//! the trigrams of every live student's key, computed here. Real HTTP for
//! the writes; the searches through the list's own query and, for their
//! totals, the list page.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use registrar::db::entities::student;
use registrar::domain::Disclosure;
use registrar::students::list::{self, query::ListQuery};
use registrar::testing::{Backend, Browser, Page};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde_json::json;

use crate::api_students::api;
use crate::changes::import;
use crate::{on_every_backend, spawn_app};

on_every_backend!(search_finds_what_the_rule_finds_after_every_kind_of_write);

/// Names and addresses with accents, `%` and `_`, several scripts, and a
/// key of three characters (`x\ny`: one trigram, across the line break).
const STUDENTS: &[(&str, &str)] = &[
    ("José García", "3 Calle Mayor, Sevilla"),
    ("Łukasz Øster", "100% Pure Lane 1_0, Oslo"),
    ("Алёна Ёлкина", "ул. Тверская 7, Москва"),
    ("Ελένη Παπαδοπούλου", "Οδός Ερμού 5, Αθήνα"),
    ("श्रीनिवास राव", "MG Road 4, Bengaluru"),
    ("Yusuf Wójcik", "12 Maple St"),
    ("Ann Maple", "7 Star_Way"),
    ("X", "Y"),
];

/// Searches beyond the words of the students' own names and addresses:
/// absent ones, wildcards as letters, and words of one and two characters.
const EXTRA: &[&str] = &[
    "zzqx",
    "%",
    "_",
    "1_0",
    "100%",
    "10%",
    "r_w",
    "x",
    "y",
    "st",
    "MAPLE  st",
    "wojcik yusuf",
    "garcía",
    "ЁЛКИНА",
    "renamed",
    "imported",
    "wójcikowa",
];

async fn search_finds_what_the_rule_finds_after_every_kind_of_write(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let mut typed: Vec<String> = EXTRA.iter().map(|q| (*q).to_owned()).collect();
    let mut ids = Vec::new();
    for (name, address) in STUDENTS {
        ids.push(app.create_student(&browser, name, address, "3.0").await);
        typed.extend(searches_of(name, address));
    }
    agrees(&app.db, &browser, &typed, "created").await;

    // A rename by the form, then by the API.
    app.edit_student(&browser, ids[0], &[("name", "Renamed Pérez")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    typed.extend(searches_of("Renamed Pérez", ""));
    agrees(&app.db, &browser, &typed, "renamed by the form").await;
    let api = api(&app).await;
    api.patch(
        &format!("/api/v1/students/{}", ids[1]),
        1,
        &json!({"name": "Łucja Øster-Wójcik", "address": "50% Off St_"}),
    )
    .await
    .assert_status(StatusCode::OK);
    typed.extend(searches_of("Łucja Øster-Wójcik", "50% Off St_"));
    agrees(&app.db, &browser, &typed, "renamed by the API").await;

    // An import renames two and changes only the GPA of a third.
    let csv = format!(
        "id,name,address,gpa,version\r\n\
         {},Imported Ñandú,ул. Тверская 7,3.00,1\r\n\
         {},Ann Maple,7 Star_Way,2.00,1\r\n\
         {},Yusuf Imported,12 Maple St,3.00,1\r\n",
        ids[2], ids[6], ids[5]
    );
    import(&browser, "students.csv", csv, &[]).await;
    typed.extend(searches_of("Imported Ñandú", ""));
    agrees(&app.db, &browser, &typed, "imported").await;

    // A delete, its undoing, and a restore of the first version.
    let confirm = browser.get(&format!("/students/{}/delete", ids[3])).await;
    confirm
        .form(&format!("/students/{}/delete", ids[3]))
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    agrees(&app.db, &browser, &typed, "deleted").await;
    let gone = browser.get(&format!("/students/{}", ids[3])).await;
    gone.assert_status(StatusCode::GONE);
    gone.form(&format!("/students/{}/undelete", ids[3]))
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    agrees(&app.db, &browser, &typed, "undeleted").await;
    restore_first_version(&browser, ids[0]).await;
    agrees(&app.db, &browser, &typed, "restored").await;
}

/// Restores version 1 of student `id` from its history page.
async fn restore_first_version(browser: &Browser, id: i64) {
    let history = browser.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    let form = history
        .forms()
        .into_iter()
        .find(|f| f.action.ends_with("/restore") && f.value("revision") == Some("1"))
        .expect("a restore form of version 1");
    form.submit(browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// Searches a registrar would type for this name and address: each word,
/// its first three characters, its last two, and the name's words together.
pub(crate) fn searches_of(name: &str, address: &str) -> Vec<String> {
    let mut searches = vec![name.to_owned()];
    for word in fold::words(&format!("{name} {address}")) {
        let chars: Vec<char> = word.chars().collect();
        searches.push(chars.iter().take(3).collect());
        searches.push(chars.iter().skip(chars.len().saturating_sub(2)).collect());
        searches.push(word);
    }
    searches
}

/// Every search of `searches` finds exactly the live students the rule
/// finds, as the list's query and as the list page's total; on MariaDB the
/// postings are the trigrams of the live keys.
pub(crate) async fn agrees(
    db: &DatabaseConnection,
    browser: &Browser,
    searches: &[String],
    after: &str,
) {
    let students = agrees_in_the_store(db, searches, after).await;
    for q in searches.iter().collect::<BTreeSet<_>>() {
        let expected = by_the_rule(&students, q);
        let page = list_page(browser, q).await;
        // An empty list shows no total.
        let total = page.attr("[data-total]", "data-total");
        assert_eq!(
            total.unwrap_or_else(|| "0".to_owned()),
            expected.len().to_string(),
            "after {after}: the page's total for q = {q:?}"
        );
        assert_eq!(
            page.texts("table.students td[data-label=Name] a").len(),
            expected.len(),
            "after {after}: the page's rows for q = {q:?}"
        );
    }
}

/// [`agrees`], through the list's query only; the students as they are.
pub(crate) async fn agrees_in_the_store(
    db: &DatabaseConnection,
    searches: &[String],
    after: &str,
) -> Vec<student::Model> {
    let students = student::Entity::find().all(db).await.expect("students");
    for q in searches.iter().collect::<BTreeSet<_>>() {
        let expected = by_the_rule(&students, q);
        let (found, total) = found(db, q).await;
        assert_eq!(found, expected, "after {after}: q = {q:?}");
        assert_eq!(total, expected.len() as u64, "after {after}: q = {q:?}");
    }
    assert_postings(db, &students, after).await;
    students
}

async fn list_page(browser: &Browser, q: &str) -> Page {
    let path = format!("/students?q={}", utf8_percent_encode(q, NON_ALPHANUMERIC));
    let page = browser.get(&path).await;
    page.assert_status(StatusCode::OK);
    page
}

/// The live students whose key holds every folded word of `q`, by id.
pub(crate) fn by_the_rule(students: &[student::Model], q: &str) -> Vec<i64> {
    let words = fold::words(q);
    let mut ids: Vec<i64> = students
        .iter()
        .filter(|s| s.deleted_at.is_none())
        .filter(|s| words.iter().all(|w| s.search_key.contains(w.as_str())))
        .map(|s| s.id)
        .collect();
    ids.sort_unstable();
    ids
}

/// The ids (sorted) of a search's first page, and its total.
pub(crate) async fn found(db: &DatabaseConnection, q: &str) -> (Vec<i64>, u64) {
    let query = ListQuery {
        q: q.to_owned(),
        ..ListQuery::default()
    };
    let rows = list::db::list(db, &query, Disclosure::Full)
        .await
        .unwrap_or_else(|e| panic!("the search {q:?}: {e}"));
    let mut ids: Vec<i64> = rows.students.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    (ids, rows.total.count)
}

/// MariaDB: the postings rebuilt from every live student's key, as the
/// write core keeps them, for a test that writes rows straight to the
/// table (the write core is what posts). Other backends have none.
pub(crate) async fn repost_all(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::MySql {
        return;
    }
    db.execute_unprepared("DELETE FROM student_trigrams")
        .await
        .expect("the postings emptied");
    let students = student::Entity::find().all(db).await.expect("students");
    let mut values: Vec<sea_orm::Value> = Vec::new();
    for s in students.iter().filter(|s| s.deleted_at.is_none()) {
        for gram in fold::trigrams(&s.search_key) {
            values.push(gram.into());
            values.push(s.id.into());
        }
    }
    if values.is_empty() {
        return;
    }
    let rows = vec!["(?, ?)"; values.len() / 2].join(", ");
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        format!("INSERT INTO student_trigrams (gram, student_id) VALUES {rows}"),
        values,
    ))
    .await
    .expect("the postings");
}

/// MariaDB: the postings are the distinct trigrams of each live student's
/// key that hold no space or line break, and nothing else. Other backends have none.
pub(crate) async fn assert_postings(
    db: &DatabaseConnection,
    students: &[student::Model],
    after: &str,
) {
    if db.get_database_backend() != DbBackend::MySql {
        return;
    }
    let expected: BTreeSet<(String, i64)> = students
        .iter()
        .filter(|s| s.deleted_at.is_none())
        .flat_map(|s| {
            let chars: Vec<char> = s.search_key.chars().collect();
            chars
                .windows(3)
                .filter(|w| !w.iter().any(|c| *c == ' ' || *c == '\n'))
                .map(|w| (w.iter().collect::<String>(), s.id))
                .collect::<Vec<_>>()
        })
        .collect();
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT gram, student_id FROM student_trigrams",
        ))
        .await
        .expect("the postings");
    let posted: BTreeSet<(String, i64)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "gram").expect("gram"),
                row.try_get::<i64>("", "student_id").expect("student_id"),
            )
        })
        .collect();
    assert_eq!(posted, expected, "after {after}: the postings");
}
