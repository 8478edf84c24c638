//! Two factors for password accounts (contract §14): enrolment, the
//! second sign-in step, codes accepted once, recovery codes used once, the
//! step expiring and belonging to its browser. Codes are computed here
//! from the secret the enrolment page shows, with `totp-rs`.

use axum::http::StatusCode;
use registrar::db::entities::{recovery_code, session, two_factor_secret, two_factor_step};
use registrar::testing::{Backend, Browser, PASSWORD, Page, REGISTRAR, TestApp};
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, PaginatorTrait};
use totp_rs::{Algorithm, Builder, Secret};

use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_registrar_turns_on_two_factor_and_then_signs_in_with_a_code,
    a_code_is_never_accepted_twice,
    one_code_sent_from_two_browsers_at_once_signs_in_one,
    a_recovery_code_signs_in_once,
    the_second_step_expires_and_belongs_to_its_browser,
);

/// The code of `secret` (base32) at `unix` seconds: RFC 6238, SHA-1, six
/// digits, 30-second steps.
pub fn code_at(secret: &str, unix: u64) -> String {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).expect("base32").to_vec())
        .build()
        .expect("an RFC 6238 generator")
        .generate(unix)
        .to_string()
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The code of the step `steps` after the current one.
pub fn code_in(secret: &str, steps: u64) -> String {
    code_at(secret, unix_now() + 30 * steps)
}

/// What the enrolment gave: the secret and the recovery codes.
pub struct Enrolled {
    pub secret: String,
    /// The code that turned it on.
    pub used_code: String,
    pub recovery_codes: Vec<String>,
}

/// Turns on two-factor sign-in in `browser` (signed in), through the
/// pages, checking what they show on the way.
pub async fn enrol(browser: &Browser, username: &str) -> Enrolled {
    let page = browser.get("/account/two-factor").await;
    page.assert_status(StatusCode::OK);
    let shown = page.text("#secret").expect("the secret as text");
    let secret: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(secret.len(), 32, "{shown}");
    let uri = page.text("#otpauth-uri").expect("the otpauth URI");
    assert_eq!(
        uri,
        format!("otpauth://totp/Registrar:{username}?secret={secret}&issuer=Registrar")
    );
    assert!(page.body.contains("<svg role=\"img\""), "an inline QR code");
    assert!(!page.body.contains("<script"), "no JavaScript");
    let mut form = page.form("/account/two-factor");
    assert_eq!(form.value("secret"), Some(secret.as_str()));
    let used_code = code_in(&secret, 0);
    form.set("code", &used_code);
    form.submit(browser)
        .await
        .assert_redirect_to("/account/two-factor");
    let codes_page = browser.get("/account/two-factor").await;
    codes_page.assert_status(StatusCode::OK);
    let recovery_codes = codes_page.texts(".recovery-codes code");
    assert_eq!(recovery_codes.len(), 10, "{}", codes_page.body);
    Enrolled {
        secret,
        used_code,
        recovery_codes,
    }
}

/// Signs in with the password in a new browser: the answer is the second
/// step, and no session exists yet.
pub async fn password_only(app: &TestApp, username: &str, password: &str, next: &str) -> Browser {
    let browser = app.browser();
    let page = browser.get(&format!("/login?next={next}")).await;
    let mut form = page.form("/login");
    form.set("username", username).set("password", password);
    let answer = form.submit(&browser).await;
    answer.assert_redirect_to("/login/two-factor");
    assert!(
        answer.cookie("registrar_session").is_none(),
        "no session before the second factor"
    );
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("registrar_two_factor="))
        .expect("the step's cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Max-Age=300", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    browser
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    browser
}

/// Submits `code` on the second step's page.
pub async fn second_step(browser: &Browser, code: &str) -> Page {
    let page = browser.get("/login/two-factor").await;
    page.assert_status(StatusCode::OK);
    let mut form = page.form("/login/two-factor");
    form.set("code", code);
    form.submit(browser).await
}

async fn a_registrar_turns_on_two_factor_and_then_signs_in_with_a_code(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let account = browser.get("/account").await;
    assert!(
        account
            .text("#two-factor-state")
            .unwrap()
            .starts_with("Off")
    );

    // A wrong code is refused and turns nothing on.
    let page = browser.get("/account/two-factor").await;
    let secret = page
        .form("/account/two-factor")
        .value("secret")
        .unwrap()
        .to_owned();
    let mut form = page.form("/account/two-factor");
    form.set("code", "000000");
    if code_in(&secret, 0) == "000000" {
        form.set("code", "111111");
    }
    let refused = form.submit(&browser).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("code").is_some(), "{}", refused.body);
    assert_eq!(
        refused.form("/account/two-factor").value("secret"),
        Some(secret.as_str()),
        "the same key, to try again"
    );
    assert_eq!(
        two_factor_secret::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    let enrolled = enrol(&browser, REGISTRAR).await;
    // Shown once: the next look shows how many are left, not the codes.
    let again = browser.get("/account/two-factor").await;
    assert!(again.texts(".recovery-codes code").is_empty());
    assert!(again.text("#recovery-left").unwrap().contains("10 of 10"));
    // Stored as digests only.
    let stored = recovery_code::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 10);
    for row in &stored {
        assert_eq!(row.code_hash.len(), 64);
        assert!(
            enrolled
                .recovery_codes
                .iter()
                .all(|c| !row.code_hash.contains(&c[..5]))
        );
    }
    assert!(
        browser
            .get("/account")
            .await
            .text("#two-factor-state")
            .unwrap()
            .starts_with("On")
    );

    // The password alone no longer signs in: a wrong code is a 422...
    let second = password_only(&app, REGISTRAR, PASSWORD, "/changes").await;
    let wrong = second_step(&second, "12345").await;
    wrong.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.cookie("registrar_session").is_none());
    // ...the next step's code (this one was used to turn it on) signs in,
    // to where the sign-in was going.
    let right = second_step(&second, &code_in(&enrolled.secret, 1)).await;
    right.assert_redirect_to("/changes");
    assert!(right.cookie("registrar_session").is_some());
    second.get("/students").await.assert_status(StatusCode::OK);
    assert_eq!(
        two_factor_step::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

async fn a_code_is_never_accepted_twice(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let enrolled = enrol(&browser, REGISTRAR).await;
    // The code that turned it on does not sign in.
    let first = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    second_step(&first, &enrolled.used_code)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let code = code_in(&enrolled.secret, 1);
    second_step(&first, &code)
        .await
        .assert_redirect_to("/students");
    // The same code, at once, in another browser (and through another
    // instance on the same database): refused.
    let other = app.another_instance().await;
    let replay = password_only(&other, REGISTRAR, PASSWORD, "/students").await;
    second_step(&replay, &code)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let sessions = session::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(
        sessions, 2,
        "the enrolling browser's and the first sign-in's"
    );
}

async fn one_code_sent_from_two_browsers_at_once_signs_in_one(backend: Backend) {
    let app = spawn_app!(backend);
    let other = app.another_instance().await;
    let browser = app.signed_in_browser().await;
    let enrolled = enrol(&browser, REGISTRAR).await;
    let code = code_in(&enrolled.secret, 1);
    // Two browsers at the second step, each through its own instance, their
    // forms filled before either is sent.
    let mut pending = Vec::new();
    for instance in [&app, &other, &app, &other] {
        let browser = password_only(instance, REGISTRAR, PASSWORD, "/students").await;
        let mut form = browser
            .get("/login/two-factor")
            .await
            .form("/login/two-factor");
        form.set("code", &code);
        pending.push((browser, form));
    }
    let answers = futures_util::future::join_all(
        pending
            .iter()
            .map(|(browser, form)| async move { form.submit(browser).await.status }),
    )
    .await;
    let signed_in = answers
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((signed_in, refused), (1, 3), "{answers:?}");
}

async fn a_recovery_code_signs_in_once(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let enrolled = enrol(&browser, REGISTRAR).await;
    let code = enrolled.recovery_codes[3].clone();
    let lost_phone = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    // Typed loosely: upper case, a space for the dash.
    second_step(&lost_phone, &code.to_uppercase().replace('-', " "))
        .await
        .assert_redirect_to("/students");
    let again = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    second_step(&again, &code)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Another one still works; nine were left after the first.
    second_step(&again, &enrolled.recovery_codes[4])
        .await
        .assert_redirect_to("/students");
    let left = browser.get("/account/two-factor").await;
    assert!(left.text("#recovery-left").unwrap().contains("8 of 10"));
}

async fn the_second_step_expires_and_belongs_to_its_browser(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let enrolled = enrol(&browser, REGISTRAR).await;
    let mine = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    let step_page = mine.get("/login/two-factor").await;
    let token = step_page
        .form("/login/two-factor")
        .value("csrf_token")
        .unwrap()
        .to_owned();

    // Another browser cannot take the step, neither reading its page nor
    // posting a code with a form token of its own.
    let stranger = app.browser();
    stranger
        .get("/login/two-factor")
        .await
        .assert_redirect_to("/login");
    let own_form = stranger.get("/login").await.form("/login");
    let stranger_token = own_form.value("csrf_token").unwrap().to_owned();
    let taken = stranger
        .post_form(
            "/login/two-factor",
            &[
                ("csrf_token", &stranger_token),
                ("code", &code_in(&enrolled.secret, 1)),
            ],
        )
        .await;
    taken.assert_status(StatusCode::GONE);
    assert!(taken.cookie("registrar_session").is_none());

    // Five minutes later (the row aged), the right code does not sign in.
    two_factor_step::Entity::update_many()
        .col_expr(
            two_factor_step::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let late = mine
        .post_form(
            "/login/two-factor",
            &[
                ("csrf_token", &token),
                ("code", &code_in(&enrolled.secret, 1)),
            ],
        )
        .await;
    late.assert_status(StatusCode::GONE);
    assert!(late.body.contains("five minutes"), "{}", late.body);
    assert!(late.cookie("registrar_session").is_none());
    mine.get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    // The code was not used up: signing in again, it works.
    let fresh = password_only(&app, REGISTRAR, PASSWORD, "/students").await;
    second_step(&fresh, &code_in(&enrolled.secret, 1))
        .await
        .assert_redirect_to("/students");
}
