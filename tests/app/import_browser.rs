//! The spreadsheet round-trip in a real browser (headless Chromium):
//! choose the file, check the preview (its screenshot is the README's),
//! confirm, watch the self-reloading progress page give way to the
//! result, and follow the link to the refused rows. Axe-core checks the preview and
//! the result when it is installed.

use fantoccini::{Client, Locator};
use registrar::testing::{Backend, PASSWORD, REGISTRAR, TestApp};

use crate::chrome::{self, Chrome, click_and_wait, fill, path, screenshot, text_if_any, text_of};
use crate::db_checks;

async fn open(client: &Client, app: &TestApp, page: &str) {
    client
        .goto(&format!("{}{page}", app.base_url))
        .await
        .expect("goto");
}

/// Serious or critical axe-core violations of the current page.
async fn serious_violations(client: &Client, axe: Option<&str>) -> Vec<String> {
    let Some(axe) = axe else {
        return Vec::new();
    };
    chrome::axe(client, axe)
        .await
        .into_iter()
        .filter(|v| v.impact == "serious" || v.impact == "critical")
        .map(|v| format!("{}: {}", v.id, v.help))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_imports_a_changed_export_and_downloads_the_refused_rows() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.create_registrar("grace", "grace's long password").await;
    let Some(mut chrome) = Chrome::start().await else {
        return;
    };
    let axe = chrome::axe_source();
    let kit = app.signed_in_browser().await;
    let grace = app.signed_in_as("grace", "grace's long password").await;
    let ada = app
        .create_student(&kit, "Ada Lovelace", "12 St James's Square", "3.60")
        .await;
    let charles = app
        .create_student(&kit, "Charles Babbage", "1 Dorset St", "3.20")
        .await;
    app.create_student(&kit, "Mary Somerville", "Chelsea", "3.95")
        .await;
    // The export, with two rows changed in the "spreadsheet"...
    let export = kit.get("/students.csv").await.body;
    let file = export
        .replace("12 St James's Square,3.60", "10 St James's Square,3.60")
        .replace("1 Dorset St,3.20", "1 Dorset St,3.40");
    // ...while a colleague changes one of them.
    app.edit_student(&grace, charles, &[("address", "Marylebone")])
        .await
        .assert_status(axum::http::StatusCode::SEE_OTHER);
    let dir = std::env::temp_dir().join(format!("registrar-import-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let upload = dir.join("students.csv");
    std::fs::write(&upload, file).expect("the file");

    let client = chrome.session(1280, 1350).await;
    open(&client, &app, "/login").await;
    fill(&client, "#username", REGISTRAR).await;
    fill(&client, "#password", PASSWORD).await;
    click_and_wait(&client, "form[action='/login'] button[type=submit]").await;
    open(&client, &app, "/students/import").await;
    client
        .find(Locator::Css("#file"))
        .await
        .expect("the file input")
        .send_keys(upload.to_str().unwrap())
        .await
        .expect("choosing the file");
    click_and_wait(
        &client,
        "form[action='/students/import'] button[type=submit]",
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let preview = path(&client).await;
    assert!(preview.starts_with("/students/import/"), "{preview}");
    let update = text_of(&client, "table.import-counts tr[data-outcome=update] td").await;
    let conflict = text_of(&client, "table.import-counts tr[data-outcome=conflict] td").await;
    assert_eq!((update.as_str(), conflict.as_str()), ("1", "1"));
    let compared = text_of(&client, "section.row-comparison table.compare").await;
    assert!(
        compared.contains("3.20") && compared.contains("3.40") && compared.contains("Marylebone"),
        "{compared}"
    );
    screenshot(&client, "import-preview").await;
    let preview_violations = serious_violations(&client, axe.as_deref()).await;

    click_and_wait(&client, "form.confirm-import button[type=submit]").await;
    // The progress page reloads itself until the result, which does not.
    for _ in 0..200 {
        let heading = text_if_any(&client, "h1").await;
        if heading.is_some_and(|h| h.starts_with("Imported")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(text_of(&client, "h1").await.starts_with("Imported"));
    let refreshes = client
        .find_all(Locator::Css("meta[http-equiv=refresh]"))
        .await
        .expect("query");
    assert!(refreshes.is_empty(), "the result does not reload");
    assert_eq!(
        text_of(&client, "table.import-result tr[data-result=written] td").await,
        "1"
    );
    assert_eq!(
        text_of(&client, "table.import-result tr[data-result=refused] td").await,
        "1"
    );
    screenshot(&client, "import-result").await;
    let result_violations = serious_violations(&client, axe.as_deref()).await;

    // The refused rows, downloaded as the link gives them.
    let href = client
        .find(Locator::Css("a[download]"))
        .await
        .expect("the download link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    // (The page's CSP allows no script to fetch: the same account's
    // kit browser follows the link the page offers.)
    let download = kit.get(&href).await;
    download.assert_status(axum::http::StatusCode::OK);
    let csv = download.body;
    assert!(
        csv.contains(&format!("{charles},Charles Babbage,Marylebone,3.20,2,")),
        "{csv}"
    );
    assert!(csv.contains("Charles Babbage,1 Dorset St,3.40"), "{csv}");
    assert_eq!(db_checks::student(&app.db, ada).await.version, 2);
    assert_eq!(db_checks::student(&app.db, charles).await.version, 2);
    client.close().await.ok();
    assert!(
        preview_violations.is_empty() && result_violations.is_empty(),
        "axe-core: preview {preview_violations:?}, result {result_violations:?}"
    );
}

/// Fails unless the page fits the window's width (no sideways scrolling).
async fn assert_fits(client: &Client, what: &str) {
    let overflow = client
        .execute(
            "return document.scrollingElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .expect("the script runs")
        .as_i64()
        .unwrap_or(i64::MAX);
    assert!(
        overflow <= 0,
        "{what} scrolls sideways by {overflow}px at 360px"
    );
}

/// A file with rows of every kind on a phone: the preview (every class
/// of rows, an update's old → new, the rows that will not be imported) and
/// the result (each refused row with why) fit 360 px, and axe-core finds
/// nothing serious on either, at 360 px and on a desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_rows_it_will_not_write_is_reviewed_on_a_phone() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    app.create_registrar("grace", "grace's long password").await;
    let Some(mut chrome) = Chrome::start().await else {
        return;
    };
    let axe = chrome::axe_source();
    let kit = app.signed_in_browser().await;
    let grace = app.signed_in_as("grace", "grace's long password").await;
    let ada = app
        .create_student(&kit, "Ada Lovelace", "12 St James's Square, London", "3.60")
        .await;
    let charles = app
        .create_student(
            &kit,
            "Charles Babbage",
            "1 Dorset St, Marylebone, London",
            "3.20",
        )
        .await;
    let mary = app
        .create_student(&kit, "Mary Somerville", "Chelsea", "3.95")
        .await;
    let file = format!(
        "id,name,address,gpa,version\n\
         {ada},Ada King,\"13 St James's Square, London SW1Y 4LE\",3.70,1\n\
         {charles},Charles Babbage,\"1 Dorset St, Marylebone, London\",3.40,1\n\
         {mary},Mary Somerville,Chelsea,four,1\n\
         424242,Somebody Else,Nowhere,3,1\n\
         ,Grace Brewster Murray Hopper,\"1 Naval Observatory Circle, Washington\",3.95,\n"
    );
    app.edit_student(&grace, charles, &[("address", "Marylebone")])
        .await
        .assert_status(axum::http::StatusCode::SEE_OTHER);
    let answer = kit.upload_csv("students.csv", file).await;
    let preview = answer.location().expect("a preview").to_owned();

    // The preview, every class, on a desktop and on a phone.
    let mut violations = Vec::new();
    let mut windows = Vec::new();
    for (width, height) in [(1280, 1000), (360, 800)] {
        let client = chrome.session(width, height).await;
        open(&client, &app, "/login").await;
        fill(&client, "#username", REGISTRAR).await;
        fill(&client, "#password", PASSWORD).await;
        click_and_wait(&client, "form[action='/login'] button[type=submit]").await;
        for page in [
            preview.clone(),
            format!("{preview}?outcome=invalid"),
            format!("{preview}?outcome=update"),
            format!("{preview}?outcome=conflict"),
        ] {
            open(&client, &app, &page).await;
            if width == 360 {
                assert_fits(&client, &page).await;
            }
            violations.extend(
                serious_violations(&client, axe.as_deref())
                    .await
                    .into_iter()
                    .map(|v| format!("{width}px {page}: {v}")),
            );
        }
        windows.push((width, client));
    }
    // Confirmed on the phone: the result, each refused row with why.
    let (_, phone) = &windows[1];
    open(phone, &app, &preview).await;
    let notice = text_of(phone, ".not-imported h2").await;
    assert_eq!(notice, "3 rows will not be imported");
    let change = text_of(phone, "tr[data-outcome=update] .change[data-field=gpa]").await;
    assert!(
        change.contains("3.60") && change.contains("3.70"),
        "{change}"
    );
    screenshot(phone, "import-preview-360px").await;
    click_and_wait(phone, "form.confirm-import button[type=submit]").await;
    for _ in 0..200 {
        let heading = text_if_any(phone, "h1").await;
        if heading.is_some_and(|h| h.starts_with("Imported")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(text_of(phone, "h1").await.starts_with("Imported"));
    assert_eq!(
        text_of(phone, "table.import-result tr[data-result=refused] td").await,
        "3"
    );
    let why = text_of(phone, "tr[data-why=unknown] .why").await;
    assert!(why.contains("424242"), "{why}");
    screenshot(phone, "import-result-mixed-360px").await;
    for (width, client) in &windows {
        open(client, &app, &preview).await;
        if *width == 360 {
            assert_fits(client, "the import result").await;
        }
        violations.extend(
            serious_violations(client, axe.as_deref())
                .await
                .into_iter()
                .map(|v| format!("{width}px result: {v}")),
        );
    }
    for (_, client) in windows {
        client.close().await.ok();
    }
    assert_eq!(db_checks::student(&app.db, ada).await.version, 2);
    assert_eq!(db_checks::student(&app.db, charles).await.version, 2);
    assert_eq!(db_checks::student(&app.db, mary).await.version, 1);
    assert!(violations.is_empty(), "axe-core: {violations:?}");
}
