//! The interface in a real browser (headless Chromium): two registrars
//! resolving a conflict, editing with the keyboard alone, the error
//! summary, accessibility (axe-core) and small screens. Screenshots of the
//! pages land in `target/screenshots/`.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use registrar::testing::{Backend, PASSWORD, REGISTRAR, TestApp};

use crate::chrome::{
    self, Chrome, click, click_and_wait, fill, focused_id, keys_and_wait, path, screenshot,
    text_of, value_of,
};
use crate::db_checks;

const GRACE: &str = "grace";
const GRACE_PASSWORD: &str = "grace's long password";

/// The app on SQLite with two registrars, and Chromium; `None` (having
/// said why) when either is unavailable.
async fn setup() -> Option<(TestApp, Chrome)> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    app.create_registrar(GRACE, GRACE_PASSWORD).await;
    let chrome = Chrome::start().await?;
    Some((app, chrome))
}

/// Signs in through the sign-in page, typing like a person.
async fn sign_in(client: &Client, app: &TestApp, username: &str, password: &str) {
    client
        .goto(&format!("{}/login", app.base_url))
        .await
        .expect("goto");
    fill(client, "#username", username).await;
    fill(client, "#password", password).await;
    click_and_wait(client, "form[action='/login'] button[type=submit]").await;
    assert_eq!(path(client).await, "/students", "signed in as {username}");
}

/// A new browser window of `width` × `height`, signed in as the registrar.
async fn signed_in_window(chrome: &mut Chrome, app: &TestApp, width: u32, height: u32) -> Client {
    let client = chrome.session(width, height).await;
    sign_in(&client, app, REGISTRAR, PASSWORD).await;
    client
}

async fn open(client: &Client, app: &TestApp, page: &str) {
    client
        .goto(&format!("{}{page}", app.base_url))
        .await
        .expect("goto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_registrars_resolve_a_conflict_in_two_browsers() {
    let Some((app, mut chrome)) = setup().await else {
        return;
    };
    let id = app
        .create_student(
            &app.signed_in_browser().await,
            "Ada Lovelace",
            "12 St James's Square",
            "3.60",
        )
        .await;
    let ada = chrome.session(1280, 1350).await;
    let grace = chrome.session(1280, 1350).await;
    sign_in(&ada, &app, REGISTRAR, PASSWORD).await;
    sign_in(&grace, &app, GRACE, GRACE_PASSWORD).await;
    let edit = format!("/students/{id}/edit");
    open(&ada, &app, &edit).await;
    open(&grace, &app, &edit).await;

    fill(&ada, "#name", "Augusta Ada King").await;
    fill(&ada, "#address", "10 St James's Square").await;
    click_and_wait(
        &ada,
        &format!("form[action='/students/{id}'] button[type=submit]"),
    )
    .await;
    assert_eq!(path(&ada).await, format!("/students/{id}"));
    assert_eq!(text_of(&ada, "[role=status]").await, "Saved");

    fill(&grace, "#name", "Ada, Countess of Lovelace").await;
    fill(&grace, "#gpa", "3.9").await;
    click_and_wait(
        &grace,
        &format!("form[action='/students/{id}'] button[type=submit]"),
    )
    .await;
    let title = grace.title().await.expect("title");
    assert!(title.contains("changed while you were editing"), "{title}");
    assert!(text_of(&grace, ".changes").await.contains("by registrar"));
    assert_eq!(
        grace
            .find_all(Locator::Css("tr.true-conflict"))
            .await
            .unwrap()
            .len(),
        1
    );
    screenshot(&grace, "conflict").await;

    // Grace keeps the current name, her GPA, and the other side's address.
    click(&grace, "#name-theirs").await;
    assert_eq!(value_of(&grace, "#address").await, "10 St James's Square");
    assert_eq!(value_of(&grace, "#gpa").await, "3.9");
    click_and_wait(&grace, "form.merge button[type=submit]").await;
    assert_eq!(path(&grace).await, format!("/students/{id}"));
    assert_eq!(text_of(&grace, "[role=status]").await, "Saved");

    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(stored.name, "Augusta Ada King");
    assert_eq!(stored.address, "10 St James's Square");
    assert_eq!(stored.gpa_hundredths, 390);
    assert_eq!(stored.version, 3);
    assert_eq!(stored.updated_by, GRACE);

    open(&grace, &app, &format!("/students/{id}/history")).await;
    screenshot(&grace, "history").await;
    open(&grace, &app, &format!("/students/{id}")).await;
    screenshot(&grace, "record").await;
    ada.close().await.ok();
    grace.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_edits_with_the_keyboard_alone() {
    let Some((app, mut chrome)) = setup().await else {
        return;
    };
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let client = signed_in_window(&mut chrome, &app, 1280, 900).await;
    open(&client, &app, &format!("/students/{id}/edit")).await;

    let body = client.find(Locator::Css("body")).await.unwrap();
    let tab: String = char::from(Key::Tab).into();
    let mut presses = 0;
    while focused_id(&client).await != "name" {
        presses += 1;
        assert!(presses < 25, "Tab never reached the name field");
        client
            .active_element()
            .await
            .unwrap_or(body.clone())
            .send_keys(&tab)
            .await
            .unwrap();
    }
    // Tabbing into a field selects its text: typing replaces it.
    let typing = |text: &'static str| {
        let client = client.clone();
        async move {
            client
                .active_element()
                .await
                .unwrap()
                .send_keys(text)
                .await
                .unwrap()
        }
    };
    typing("Ada Lovelace").await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&tab)
        .await
        .unwrap();
    assert_eq!(focused_id(&client).await, "student_number");
    typing("s-0042").await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&tab)
        .await
        .unwrap();
    assert_eq!(focused_id(&client).await, "address");
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&tab)
        .await
        .unwrap();
    assert_eq!(focused_id(&client).await, "gpa");
    typing("3.75").await;
    let enter: String = char::from(Key::Enter).into();
    keys_and_wait(&client, &enter).await;
    assert_eq!(path(&client).await, format!("/students/{id}"));
    assert_eq!(text_of(&client, "[role=status]").await, "Saved");
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (
            stored.name.as_str(),
            stored.address.as_str(),
            stored.gpa_hundredths
        ),
        ("Ada Lovelace", "1 Main St", 375)
    );
    client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_submit_focuses_the_error_summary_and_keeps_the_input() {
    let Some((app, mut chrome)) = setup().await else {
        return;
    };
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let client = signed_in_window(&mut chrome, &app, 1280, 900).await;
    open(&client, &app, &format!("/students/{id}/edit")).await;
    fill(&client, "#name", "").await;
    fill(&client, "#gpa", "4.5").await;
    click_and_wait(
        &client,
        &format!("form[action='/students/{id}'] button[type=submit]"),
    )
    .await;

    let title = client.title().await.unwrap();
    assert!(title.starts_with("Error: "), "{title}");
    assert_eq!(focused_id(&client).await, "error-summary");
    let links = client
        .find_all(Locator::Css(".error-summary a"))
        .await
        .unwrap();
    let mut targets = Vec::new();
    for link in &links {
        targets.push(link.attr("href").await.unwrap().unwrap_or_default());
    }
    assert_eq!(targets, ["#name", "#gpa"]);
    assert_eq!(value_of(&client, "#gpa").await, "4.5");
    assert_eq!(value_of(&client, "#address").await, "1 Main St");
    let described = client
        .find(Locator::Css("#gpa"))
        .await
        .unwrap()
        .attr("aria-describedby")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(described.contains("gpa-error"), "{described}");
    screenshot(&client, "edit-errors").await;

    // The summary's link takes the keyboard to the field.
    click(&client, ".error-summary a[href='#gpa']").await;
    assert_eq!(focused_id(&client).await, "gpa");
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_have_no_serious_accessibility_violations() {
    let Some((app, mut chrome)) = setup().await else {
        return;
    };
    let Some(axe) = chrome::axe_source() else {
        chrome::unavailable(
            "axe-core",
            "not installed (npm install --prefix target/browser-deps axe-core)",
        );
        return;
    };
    let kit = app.signed_in_browser().await;
    let id = app
        .create_student(&kit, "Ada Lovelace", "12 St James's Square", "3.60")
        .await;
    app.edit_student(&kit, id, &[("student_number", "S-1815-0001")])
        .await;
    for (name, address, gpa, number) in [
        ("Charles Babbage", "1 Dorset St", "3.20", "S-1791-0002"),
        ("Mary Somerville", "Chelsea", "3.95", "S-1780-0003"),
        ("Grace Hopper", "Arlington", "4.00", "S-1906-0004"),
    ] {
        let other = app.create_student(&kit, name, address, gpa).await;
        app.edit_student(&kit, other, &[("student_number", number)])
            .await;
    }
    let client = signed_in_window(&mut chrome, &app, 1280, 1350).await;

    // A stale form in the browser, a save behind its back: the conflict page.
    stale_save(
        &client,
        &app,
        &kit,
        id,
        ("name", "Augusta Ada King"),
        "Ada, Countess of Lovelace",
    )
    .await;

    let mut report = Vec::new();
    let mut serious = Vec::new();
    let mut check = async |label: &str| {
        let violations = chrome::axe(&client, &axe).await;
        let summary: Vec<String> = violations
            .iter()
            .map(|v| format!("{} ({}, {} nodes)", v.id, v.impact, v.nodes))
            .collect();
        report.push(format!(
            "{label}: {} violations {summary:?}",
            violations.len()
        ));
        serious.extend(
            violations
                .into_iter()
                .filter(|v| v.impact == "serious" || v.impact == "critical")
                .map(|v| format!("{label}: {} — {}", v.id, v.help)),
        );
    };
    check("conflict").await;
    open(&client, &app, "/students").await;
    screenshot(&client, "list").await;
    check("list").await;
    open(&client, &app, &format!("/students/{id}/edit")).await;
    screenshot(&client, "edit").await;
    check("edit").await;
    fill(&client, "#gpa", "abc").await;
    click_and_wait(
        &client,
        &format!("form[action='/students/{id}'] button[type=submit]"),
    )
    .await;
    check("edit with errors").await;
    open(&client, &app, &format!("/students/{id}/history")).await;
    check("history").await;
    open(&client, &app, &format!("/students/{id}")).await;
    check("record").await;
    // A second Augusta Ada King (the name the conflict left), numbered:
    // her new page names the first as a possible duplicate, and a search
    // for her number shows her above the list.
    open(&client, &app, "/students/new").await;
    fill(&client, "#name", "Augusta Ada King").await;
    fill(&client, "#address", "1 Main St").await;
    fill(&client, "#gpa", "3.10").await;
    fill(&client, "#student_number", "s-2026-0042").await;
    click_and_wait(&client, "form[action='/students'] button[type=submit]").await;
    assert_eq!(
        text_of(&client, ".duplicates li a").await,
        "Augusta Ada King"
    );
    screenshot(&client, "record-duplicates").await;
    check("new record with a possible duplicate").await;
    open(&client, &app, "/students?q=S-2026-0042").await;
    check("a search for a student number").await;
    // The change log with a reason and an import among its entries.
    app.edit_student(
        &kit,
        id,
        &[
            ("address", "12 St James's Sq, London"),
            ("reason", "Asked by letter"),
        ],
    )
    .await;
    let upload = kit
        .upload_csv(
            "new-students.csv",
            "name,address,gpa\r\nAlan Turing,Wilmslow,3.90\r\nRosalind Franklin,Notting Hill,3.85\r\n",
        )
        .await;
    let preview = upload.location().expect("a preview").to_owned();
    kit.post_with_token(&preview, &[]).await;
    kit.wait_for_import(&preview).await;
    open(&client, &app, "/changes").await;
    screenshot(&client, "changes").await;
    check("change log").await;
    open(&client, &app, "/changes?since=2026-13-01").await;
    check("change log, a filter refused").await;
    client.close().await.ok();
    let anonymous = chrome.session(1280, 800).await;
    open(&anonymous, &app, "/login").await;
    screenshot(&anonymous, "login").await;
    check_page(&anonymous, &axe, "sign-in", &mut report, &mut serious).await;
    anonymous.close().await.ok();

    for line in &report {
        println!("axe-core {line}");
    }
    assert!(
        serious.is_empty(),
        "serious or critical accessibility violations: {serious:#?}"
    );
}

async fn check_page(
    client: &Client,
    axe: &str,
    label: &str,
    report: &mut Vec<String>,
    serious: &mut Vec<String>,
) {
    let violations = chrome::axe(client, axe).await;
    report.push(format!(
        "{label}: {} violations {:?}",
        violations.len(),
        violations.iter().map(|v| &v.id).collect::<Vec<_>>()
    ));
    serious.extend(
        violations
            .into_iter()
            .filter(|v| v.impact == "serious" || v.impact == "critical")
            .map(|v| format!("{label}: {} — {}", v.id, v.help)),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_a_360_pixel_wide_screen() {
    let Some((app, mut chrome)) = setup().await else {
        return;
    };
    let id = app
        .create_student(
            &app.signed_in_browser().await,
            "Ada Lovelace",
            "12 St James's Square, London",
            "3.60",
        )
        .await;
    let client = signed_in_window(&mut chrome, &app, 360, 800).await;
    for page in [
        "/students".to_owned(),
        format!("/students/{id}"),
        format!("/students/{id}/edit"),
        format!("/students/{id}/delete"),
    ] {
        open(&client, &app, &page).await;
        assert_fits(&client, &page).await;
    }
    // The history lists the record's viewers once the access log's writer
    // has written them (in the background): it must fit with them too.
    viewed(&app, id).await;
    let history = format!("/students/{id}/history");
    open(&client, &app, &history).await;
    assert!(
        text_of(&client, "section.viewers")
            .await
            .contains("record page")
    );
    assert_fits(&client, &history).await;
    open(&client, &app, "/students").await;
    screenshot(&client, "list-360px").await;

    // The conflict page: this window's form is stale once another saves.
    let kit = app.signed_in_browser().await;
    stale_save(
        &client,
        &app,
        &kit,
        id,
        ("address", "13 St James's Square, London SW1Y 4LE"),
        "Ada King, Countess of Lovelace",
    )
    .await;
    assert!(
        text_of(&client, "h1")
            .await
            .contains("changed while you were editing")
    );
    assert_fits(&client, "the conflict page").await;
    screenshot(&client, "conflict-360px").await;

    // An import's result, with an update and a create.
    let csv = kit.get("/students.csv").await.body;
    let file = format!(
        "{}\n,Grace Brewster Murray Hopper,\"1 Naval Observatory Circle, Washington\",3.95,,,\n",
        csv.trim_end()
            .replace("13 St James's Square", "14 St James's Square")
    );
    let answer = kit.upload_csv("students.csv", file).await;
    let preview = answer.location().expect("a preview").to_owned();
    kit.post_with_token(&preview, &[]).await;
    kit.wait_for_import(&preview).await;
    open(&client, &app, &preview).await;
    assert_fits(&client, "the import result").await;
    screenshot(&client, "import-result-360px").await;

    // The office's change log, with that import as one entry, and its rows.
    open(&client, &app, "/changes").await;
    assert_fits(&client, "the change log").await;
    screenshot(&client, "changes-360px").await;
    let rows = kit
        .get("/changes")
        .await
        .href("a.rows-link")
        .expect("the import's entry");
    open(&client, &app, &rows).await;
    assert_fits(&client, "an import's rows").await;

    // The account page with other sessions listed.
    for _ in 0..3 {
        app.signed_in_browser().await;
    }
    open(&client, &app, "/account").await;
    assert_fits(&client, "the account page").await;
    screenshot(&client, "account-360px").await;
    client.close().await.ok();
}

/// Opens student `id`'s edit form in `client`, lets `kit` save `theirs`
/// meanwhile, then submits `name` from `client`: the conflict page.
async fn stale_save(
    client: &Client,
    app: &TestApp,
    kit: &registrar::testing::Browser,
    id: i64,
    theirs: (&str, &str),
    name: &str,
) {
    let path = format!("/students/{id}");
    open(client, app, &format!("{path}/edit")).await;
    let mut other = kit.get(&format!("{path}/edit")).await.form(&path);
    other.set(theirs.0, theirs.1);
    other.submit(kit).await;
    fill(client, "#name", name).await;
    click_and_wait(
        client,
        &format!("form[action='{path}'] button[type=submit]"),
    )
    .await;
}

/// Waits (ten seconds at most) until the access log holds a view of
/// student `id`.
async fn viewed(app: &TestApp, id: i64) {
    use registrar::db::entities::access_entry;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let views = access_entry::Entity::find()
            .filter(access_entry::Column::StudentId.eq(id))
            .count(&app.db)
            .await
            .expect("the access log");
        if views > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a view of {id} logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Fails unless the page fits the window's width (no sideways scrolling).
async fn assert_fits(client: &Client, what: &str) {
    let overflow = client
        .execute(
            "return document.scrollingElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap_or(i64::MAX);
    if overflow > 0 {
        // Name what sticks out, so a failure says where to look.
        let wide = client
            .execute(
                "const w = document.documentElement.clientWidth;
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1)
                   .slice(0, 8)
                   .map(e => e.tagName + '.' + e.className + ' ' +
                        Math.round(e.getBoundingClientRect().right) + 'px: ' +
                        (e.textContent || '').trim().slice(0, 60))
                   .join(' | ');",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        panic!("{what} scrolls sideways by {overflow}px at 360px: {wide}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printing_leaves_out_what_acts_on_the_record() {
    let Some((app, mut chrome)) = setup().await else {
        return;
    };
    let kit = app.signed_in_browser().await;
    let id = app.create_student(&kit, "Ada", "1 Main St", "3").await;
    // Another registrar has the form open: the record shows a notice.
    app.create_registrar("hedy", "hedy's long password").await;
    let hedy = app.signed_in_as("hedy", "hedy's long password").await;
    hedy.get(&format!("/students/{id}/edit")).await;
    let client = signed_in_window(&mut chrome, &app, 1024, 900).await;
    // Whether each selector's element is hidden by a print rule: it, or
    // an element it is inside.
    let hidden_in_print = async |selectors: &[&str]| -> Vec<bool> {
        let script = "const rules = [...document.styleSheets] \
            .flatMap(s => [...s.cssRules]) \
            .filter(r => r.media && [...r.media].includes('print')) \
            .flatMap(r => [...r.cssRules]) \
            .filter(r => r.style && r.style.display === 'none'); \
            return arguments[0].map(sel => { const e = document.querySelector(sel); \
              return !!e && rules.some(r => e.closest(r.selectorText) !== null); });";
        let answer = client
            .execute(script, vec![serde_json::json!(selectors)])
            .await
            .expect("the print rules");
        serde_json::from_value(answer).expect("booleans")
    };
    open(&client, &app, &format!("/students/{id}")).await;
    // The Delete link is one of the actions.
    let record = [
        ".presence",
        ".actions a.warning",
        ".site-header",
        ".actions",
    ];
    assert_eq!(hidden_in_print(&record).await, [true; 4], "{record:?}");
    // What the record says stays.
    assert_eq!(hidden_in_print(&["dl.record", "h1"]).await, [false, false]);
    // The delete confirmation prints the record, not its form.
    open(&client, &app, &format!("/students/{id}/delete")).await;
    assert_eq!(
        hidden_in_print(&["form.delete", ".presence", "dl.record", "h1"]).await,
        [true, true, false, false]
    );
    open(&client, &app, "/students").await;
    assert_eq!(
        hidden_in_print(&[".page-heading .button", "table.students"]).await,
        [true, false]
    );
    // The record as paper shows it: the print rules applied to the screen.
    open(&client, &app, &format!("/students/{id}")).await;
    client
        .execute(
            "const sheet = document.styleSheets[0]; \
             const printed = [...document.styleSheets] \
                .flatMap(s => [...s.cssRules]) \
                .filter(r => r.media && [...r.media].includes('print')) \
                .flatMap(r => [...r.cssRules].map(c => c.cssText)); \
             printed.forEach(rule => sheet.insertRule(rule, sheet.cssRules.length));",
            vec![],
        )
        .await
        .expect("the print rules on screen");
    screenshot(&client, "record-print").await;
    let shown = client
        .execute(
            "return ['.presence', '.actions', '.site-header'].map(s => { \
                const e = document.querySelector(s); return !!e && e.offsetParent !== null; });",
            vec![],
        )
        .await
        .expect("what paper shows");
    assert_eq!(shown, serde_json::json!([false, false, false]));
    client.close().await.ok();
}
