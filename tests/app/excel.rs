//! The export for Excel: `/students.csv?excel=1` and `registrar export
//! --excel` start with UTF-8's byte-order mark, so that Excel on Windows
//! reads `Fernández` rather than `FernÃ¡ndez`; the plain export has none;
//! and the import takes the Excel file back as it takes the plain one.

use std::process::Command;

use axum::http::StatusCode;
use registrar::testing::{Backend, ImportOutcome};

use crate::{on_every_backend, spawn_app};

on_every_backend!(an_export_for_excel_starts_with_a_byte_order_mark_and_imports_back);

const BOM: char = '\u{FEFF}';

async fn an_export_for_excel_starts_with_a_byte_order_mark_and_imports_back(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let id = app
        .create_student(&browser, "Fernández", "1 Main St", "3.5")
        .await;

    let plain = browser.get("/students.csv").await;
    plain.assert_status(StatusCode::OK);
    assert!(plain.body.starts_with("id,name,"), "{:?}", plain.body);

    let excel = browser.get("/students.csv?excel=1&sort=-name").await;
    excel.assert_status(StatusCode::OK);
    let body = excel
        .body
        .strip_prefix(BOM)
        .unwrap_or_else(|| panic!("no byte-order mark: {:?}", excel.body));
    assert!(body.starts_with("id,name,"), "{body:?}");
    assert!(body.contains(&format!("{id},Fernández,")), "{body:?}");
    // Any other value of `excel` is the plain file.
    let other = browser.get("/students.csv?excel=yes").await;
    assert!(!other.body.starts_with(BOM));

    // The list offers both.
    let list = browser.get("/students").await;
    assert!(list.body.contains("excel=1"), "{}", list.body);

    // The Excel file imports back: every row as it is.
    let answer = browser.upload_csv("students.csv", excel.body.clone()).await;
    answer.assert_status(StatusCode::SEE_OTHER);
    let path = answer.location().expect("a preview").to_owned();
    let preview = browser.get(&path).await.import_preview();
    assert_eq!(preview.count(ImportOutcome::Unchanged), 1, "{preview:?}");
    assert_eq!(preview.count(ImportOutcome::Invalid), 0, "{preview:?}");

    // The command line writes the same file.
    let output = Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(["export", "--excel"])
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the registrar binary runs");
    assert!(output.status.success(), "{output:?}");
    let written = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(written.starts_with(BOM), "{written:?}");
    assert!(written.contains(&format!("{id},Fernández,")));
    let plain = Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(["export"])
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the registrar binary runs");
    assert!(!String::from_utf8_lossy(&plain.stdout).starts_with(BOM));
}
