//! Search finds people the way registrars type them (contract §12): each
//! folded word in the folded name, address or student number, in any
//! order, whatever the case, accents, spacing or format characters, in
//! many scripts; a search equal to a student number shows that student
//! above the list.

use axum::http::StatusCode;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use registrar::testing::{Backend, Browser};

use crate::{on_every_backend, spawn_app};

on_every_backend!(
    search_folds_case_accents_spacing_and_order_in_five_scripts,
    a_search_equal_to_a_number_shows_that_student_first,
    names_copied_from_a_page_are_accepted,
    a_new_record_names_its_possible_duplicates,
);

const STUDENTS: &[(&str, &str)] = &[
    ("José García", "3 Calle Mayor, Sevilla"),
    ("Jürgen Müller", "Straße des 17. Juni 1, Berlin"),
    ("Ada Lovelace", "12 St James's Sq, London"),
    ("Ελένη Παπαδοπούλου", "Οδός Ερμού 5, Αθήνα"),
    ("Алёна Ёлкина", "ул. Тверская 7, Москва"),
    ("محمد علي", "شارع النيل ٤, القاهرة"),
    ("مُحَمَّد حسن", "شارع الهرم, الجيزة"),
    ("श्\u{200D}रीनिवास राव", "MG Road 4, Bengaluru"),
    ("Łukasz Øster", "100% Pure Lane 1_0, Oslo"),
    ("Ann \"Nan\" Lee", "7 Star* Way, Cork"),
];

/// The names a search for `q` lists, sorted; its total must agree (it is
/// counted apart from the rows, on some backends in the index alone).
async fn names_found(browser: &Browser, q: &str) -> Vec<String> {
    let path = format!("/students?q={}", utf8_percent_encode(q, NON_ALPHANUMERIC));
    let page = browser.get(&path).await;
    page.assert_status(StatusCode::OK);
    let mut names = page.texts("table.students td[data-label=Name] a");
    names.sort();
    let total = page.attr("[data-total]", "data-total");
    assert_eq!(
        total.unwrap_or_else(|| "0".to_owned()),
        names.len().to_string(),
        "the total of q = {q:?}"
    );
    names
}

async fn search_folds_case_accents_spacing_and_order_in_five_scripts(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    for (name, address) in STUDENTS {
        app.create_student(&browser, name, address, "3.0").await;
    }
    let cases: &[(&str, &[&str])] = &[
        // Latin with diacritics, any case, any order, any spacing.
        ("garcia", &["José García"]),
        ("GARCÍA jose", &["José García"]),
        ("MULLER", &["Jürgen Müller"]),
        ("strasse berlin", &["Jürgen Müller"]),
        ("ada  lovelace", &["Ada Lovelace"]),
        ("lovelace ada", &["Ada Lovelace"]),
        ("  Lovelace\tADA ", &["Ada Lovelace"]),
        ("\u{2068}Ada Lovelace\u{2069}", &["Ada Lovelace"]),
        ("lukasz oster", &["Łukasz Øster"]),
        // A word must be found: one that is not leaves nothing.
        ("ada hopper", &[]),
        // Greek: no case, no tonos.
        ("ελενη", &["Ελένη Παπαδοπούλου"]),
        ("ΠΑΠΑΔΟΠΟΥΛΟΥ αθηνα", &["Ελένη Παπαδοπούλου"]),
        // Cyrillic: ё is е.
        ("алена елкина", &["Алёна Ёлкина"]),
        ("МОСКВА", &["Алёна Ёлкина"]),
        // Arabic keeps its marks: the unpointed name finds the unpointed.
        ("محمد", &["محمد علي"]),
        ("مُحَمَّد", &["مُحَمَّد حسن"]),
        ("القاهرة", &["محمد علي"]),
        // Devanagari: the joiner is a format character, ignored.
        ("श्रीनिवास", &["श्\u{200D}रीनिवास राव"]),
        ("श्\u{200D}रीनिवास", &["श्\u{200D}रीनिवास राव"]),
        // % and _ are literal.
        ("100%", &["Łukasz Øster"]),
        ("1_0", &["Łukasz Øster"]),
        ("10%", &[]),
        ("1_", &["Łukasz Øster"]),
        ("2_0", &[]),
        // So are quotes and stars (SQLite's index is asked by phrases).
        ("\"nan\"", &["Ann \"Nan\" Lee"]),
        ("nan\" LEE", &["Ann \"Nan\" Lee"]),
        ("nan\"\"", &[]),
        ("star* way", &["Ann \"Nan\" Lee"]),
        ("*", &["Ann \"Nan\" Lee"]),
        ("st*r", &[]),
    ];
    for (q, expected) in cases {
        let mut expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(names_found(&browser, q).await, expected, "q = {q:?}");
    }
    // The count agrees with the rows.
    let page = browser.get("/students?q=a").await;
    let shown = page.texts("table.students td[data-label=Name] a").len();
    assert_eq!(
        page.attr("[data-total]", "data-total").as_deref(),
        Some(shown.to_string().as_str())
    );
    // A search of nothing but spaces and format characters is no search.
    assert_eq!(
        names_found(&browser, " \u{200B} ").await.len(),
        STUDENTS.len()
    );
}

async fn a_search_equal_to_a_number_shows_that_student_first(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let mut form = browser.get("/students/new").await.form("/students");
    form.set("name", "Ada Lovelace")
        .set("address", "1 Main St")
        .set("gpa", "3.5")
        .set("student_number", "S-0042");
    form.submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.create_student(&browser, "Grace S0042 Hopper", "2 Main St", "3.9")
        .await;

    let page = browser.get("/students?q=s-0042").await;
    assert_eq!(
        page.text(".numbered h2").as_deref(),
        Some("Student number S-0042")
    );
    assert_eq!(page.text(".numbered a").as_deref(), Some("Ada Lovelace"));
    // The list itself is the search, unchanged: the number is in Ada's key.
    assert_eq!(names_found(&browser, "s-0042").await, ["Ada Lovelace"]);
    // Part of a number finds by substring, but is no number of anyone.
    let partial = browser.get("/students?q=0042").await;
    assert_eq!(partial.text(".numbered h2"), None);
    assert_eq!(
        names_found(&browser, "0042").await,
        ["Ada Lovelace", "Grace S0042 Hopper"]
    );
}

async fn names_copied_from_a_page_are_accepted(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "\u{2068}Ada Lovelace\u{2069}", "1 Main St", "3.5")
        .await;
    let page = browser.get(&format!("/students/{id}")).await;
    assert_eq!(page.text("h1").as_deref(), Some("Ada Lovelace"));
}

/// A create whose folded name equals live students' still creates (`303`),
/// and the new record's page lists them with links; a deleted namesake is
/// not listed, nor is any on a later visit.
async fn a_new_record_names_its_possible_duplicates(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let first = app
        .create_student(&browser, "Andrés Lee", "1 Main St", "3.0")
        .await;
    let gone = app
        .create_student(&browser, "Andres Lee", "2 Main St", "3.0")
        .await;
    let delete = browser.get(&format!("/students/{gone}/delete")).await;
    delete
        .form(&format!("/students/{gone}/delete"))
        .submit(&browser)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.create_student(&browser, "Andrés Leeds", "3 Main St", "3.0")
        .await;

    let second = app
        .create_student(&browser, "  ANDRES   lee ", "4 Main St", "3.5")
        .await;
    let page = browser.get(&format!("/students/{second}")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(
        page.texts(".duplicates li a"),
        ["Andrés Lee"],
        "only the live student of the same folded name"
    );
    assert_eq!(
        page.href(".duplicates li a").as_deref(),
        Some(format!("/students/{first}").as_str())
    );
    // Shown with the page the create led to, not on every visit.
    let again = browser.get(&format!("/students/{second}")).await;
    assert!(again.texts(".duplicates li").is_empty());
    // A student with no namesake has none.
    let alone = app
        .create_student(&browser, "Grace Hopper", "5 Main St", "3.5")
        .await;
    let page = browser.get(&format!("/students/{alone}")).await;
    assert!(page.texts(".duplicates li").is_empty());
}
