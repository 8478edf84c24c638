//! Accounts and security (docs/contract.md §4): who may read and change records, and
//! that no hostile request changes anything.

use std::time::Duration;

use axum::http::StatusCode;
use registrar::accounts;
use registrar::auth::Throttle;
use registrar::db::entities::session;
use registrar::domain::Username;
use registrar::testing::{AppOptions, Backend, HistoryAction, PASSWORD, REGISTRAR, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    every_student_page_needs_a_signed_in_registrar,
    a_post_without_a_session_changes_nothing,
    the_first_visit_leads_to_setup_which_works_once,
    signing_in_rotates_the_session_and_signing_out_ends_it,
    session_cookies_are_http_only_same_site_and_secure_when_configured,
    flash_cookies_are_secure_when_configured,
    wrong_credentials_get_one_generic_message,
    repeated_failures_are_throttled_per_username_and_per_address,
    throttling_lets_the_registrar_back_in_after_the_window,
    simultaneous_attempts_cannot_slip_past_the_limit,
    sign_in_only_returns_to_local_paths,
    forms_without_the_right_csrf_token_are_forbidden,
    idle_and_expired_sessions_end,
    disabling_an_account_ends_its_sessions,
    changes_are_attributed_to_the_signed_in_registrar,
    a_request_stuck_behind_a_lock_times_out_with_a_page,
    logs_never_hold_passwords_tokens_or_form_values,
);

async fn every_student_page_needs_a_signed_in_registrar(backend: Backend) {
    let app = spawn_app!(backend);
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let anonymous = app.browser();
    for (path, next) in [
        ("/students".to_owned(), "/students".to_owned()),
        (
            "/students?q=a b&sort=-gpa".to_owned(),
            "/students%3Fq%3Da%2520b%26sort%3D-gpa".to_owned(),
        ),
        ("/students.csv".to_owned(), "/students.csv".to_owned()),
        ("/students/new".to_owned(), "/students/new".to_owned()),
        (format!("/students/{id}"), format!("/students/{id}")),
        (
            format!("/students/{id}/edit"),
            format!("/students/{id}/edit"),
        ),
        (
            format!("/students/{id}/history"),
            format!("/students/{id}/history"),
        ),
        ("/changes".to_owned(), "/changes".to_owned()),
        ("/students/import".to_owned(), "/students/import".to_owned()),
    ] {
        let page = anonymous.get(&path).await;
        page.assert_redirect_to(&format!("/login?next={next}"));
    }
    // Signing in from there returns to the page asked for.
    let login = anonymous
        .get(&format!("/login?next=/students/{id}/edit"))
        .await;
    let mut form = login.form("/login");
    form.set("username", REGISTRAR).set("password", PASSWORD);
    form.submit(&anonymous)
        .await
        .assert_redirect_to(&format!("/students/{id}/edit"));
    // Pages anyone may see.
    for path in ["/login", "/healthz", "/static/app.css"] {
        app.browser().get(path).await.assert_status(StatusCode::OK);
    }
}

async fn a_post_without_a_session_changes_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let signed_in = app.signed_in_browser().await;
    let id = app
        .create_student(&signed_in, "Ada", "1 Main St", "3")
        .await;
    let token = signed_in.csrf_token().await;
    let anonymous = app.browser();
    let fields = [
        ("name", "Eve"),
        ("address", "x"),
        ("gpa", "1"),
        ("version", "1"),
        ("csrf_token", token.as_str()),
    ];
    for path in [
        "/students".to_owned(),
        format!("/students/{id}"),
        format!("/students/{id}/delete"),
    ] {
        anonymous
            .post_form(&path, &fields)
            .await
            .assert_redirect_to("/login");
    }
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (stored.name.as_str(), stored.version, stored.deleted_at),
        ("Ada", 1, None)
    );
    assert_eq!(db_checks::student_count(&app.db).await, 1);
}

async fn the_first_visit_leads_to_setup_which_works_once(backend: Backend) {
    let Some(app) = TestApp::spawn_with(
        backend,
        AppOptions {
            create_registrar: false,
            ..AppOptions::default()
        },
    )
    .await
    else {
        return;
    };
    let browser = app.browser();
    browser.get("/").await.assert_redirect_to("/students");
    browser
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    browser
        .get("/login?next=/students")
        .await
        .assert_redirect_to("/setup");
    let setup = browser.get("/setup").await;
    setup.assert_status(StatusCode::OK);

    let mut form = setup.form("/setup");
    form.set("username", "bad name")
        .set("password", "short")
        .set("password_confirm", "short");
    let invalid = form.submit(&browser).await;
    invalid.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.error_summary().len(), 2);
    invalid
        .assert_field_error("username", "")
        .assert_field_error("password", "");
    let mut form = invalid.form("/setup");
    assert_eq!(form.value("username"), Some("bad name"));
    assert_eq!(
        form.value("password"),
        Some(""),
        "passwords are never sent back"
    );
    form.set("username", "Ada")
        .set("password", "long enough pass")
        .set("password_confirm", "long enough pasS");
    let mismatch = form.submit(&browser).await;
    mismatch.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    mismatch.assert_field_error("password_confirm", "do not match");

    // Two setups at once: exactly one account.
    let other = app.browser();
    let mut other_form = other.get("/setup").await.form("/setup");
    other_form
        .set("username", "Bob")
        .set("password", "another long pass")
        .set("password_confirm", "another long pass");
    let mut form = mismatch.form("/setup");
    form.set("password", "long enough pass")
        .set("password_confirm", "long enough pass");
    let (mine, theirs) = tokio::join!(form.submit(&browser), other_form.submit(&other));
    let statuses = [mine.status, theirs.status];
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::NOT_FOUND), "{statuses:?}");
    assert_eq!(accounts::list(&app.db).await.unwrap().len(), 1);

    // The winner is signed in; setup is gone for everyone.
    let (winner, answer) = if mine.status == StatusCode::SEE_OTHER {
        (&browser, &mine)
    } else {
        (&other, &theirs)
    };
    answer.assert_redirect_to("/students");
    winner.get("/students").await.assert_status(StatusCode::OK);
    app.browser()
        .get("/setup")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let late = app.browser();
    late.post_with_token(
        "/setup",
        &[
            ("username", "Eve"),
            ("password", "yet another pass"),
            ("password_confirm", "yet another pass"),
        ],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(accounts::list(&app.db).await.unwrap().len(), 1);
}

async fn signing_in_rotates_the_session_and_signing_out_ends_it(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.browser();
    let first = browser.sign_in(REGISTRAR, PASSWORD).await;
    first.assert_redirect_to("/students");
    let first_token = first.cookie("registrar_session").expect("a session cookie");

    // Signing in again (e.g. in another tab) gives a new session id and
    // ends the old one.
    let second = browser
        .post_with_token("/login", &[("username", REGISTRAR), ("password", PASSWORD)])
        .await;
    second.assert_redirect_to("/students");
    let second_token = second
        .cookie("registrar_session")
        .expect("a new session cookie");
    assert_ne!(first_token, second_token);
    let stale = app.browser();
    stale
        .get_with_headers(
            "/students",
            &[("cookie", &format!("registrar_session={first_token}"))],
        )
        .await
        .assert_redirect_to("/login?next=/students");

    // Sign out through the header's form: the cookie is cleared, the session gone.
    let list = browser.get("/students").await;
    assert!(list.text(".signed-in").unwrap().contains(REGISTRAR));
    let out = list.form("/logout").submit(&browser).await;
    out.assert_redirect_to("/login");
    assert_eq!(out.cookie("registrar_session").as_deref(), Some(""));
    browser
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    stale
        .get_with_headers(
            "/students",
            &[("cookie", &format!("registrar_session={second_token}"))],
        )
        .await
        .assert_redirect_to("/login?next=/students");
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0);
}

async fn session_cookies_are_http_only_same_site_and_secure_when_configured(backend: Backend) {
    let app = spawn_app!(backend);
    let answer = app.browser().sign_in(REGISTRAR, PASSWORD).await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("registrar_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Lax") || cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let token = answer.cookie("registrar_session").unwrap();
    assert!(token.len() >= 40, "an opaque random token: {token}");
    let stored: Vec<String> = session::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.token_hash)
        .collect();
    assert!(
        !stored.contains(&token),
        "only a digest of the token is stored"
    );

    let Some(secure) = TestApp::spawn_with(
        backend,
        AppOptions {
            secure_cookies: true,
            ..AppOptions::default()
        },
    )
    .await
    else {
        return;
    };
    let login = secure.browser().get("/login").await;
    assert!(
        login.set_cookies().iter().all(|c| c.contains("Secure")),
        "{:?}",
        login.set_cookies()
    );
}

/// Cookies of every kind follow `--secure-cookies`, the one-time message
/// after a save included. (The cookies are sent by hand: a cookie jar keeps
/// `Secure` cookies from a plain-HTTP server to itself.)
async fn flash_cookies_are_secure_when_configured(backend: Backend) {
    let Some(app) = TestApp::spawn_with(
        backend,
        AppOptions {
            secure_cookies: true,
            ..AppOptions::default()
        },
    )
    .await
    else {
        return;
    };
    let browser = app.browser();
    let login = browser.get("/login").await;
    let pre_session = login.cookie("registrar_csrf").expect("a pre-session token");
    let token = login.form("/login").value("csrf_token").unwrap().to_owned();
    let body = serde_urlencoded::to_string([
        ("username", REGISTRAR),
        ("password", PASSWORD),
        ("csrf_token", &token),
    ])
    .unwrap();
    let signed_in = browser
        .post_raw_with_headers(
            "/login",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            &[("cookie", &format!("registrar_csrf={pre_session}"))],
        )
        .await;
    signed_in.assert_status(StatusCode::SEE_OTHER);
    let session = format!(
        "registrar_session={}",
        signed_in.cookie("registrar_session").unwrap()
    );
    let new = browser
        .get_with_headers("/students/new", &[("cookie", &session)])
        .await;
    new.assert_status(StatusCode::OK);
    let token = new
        .form("/students")
        .value("csrf_token")
        .unwrap()
        .to_owned();
    let body = serde_urlencoded::to_string([
        ("name", "Ada"),
        ("address", "1 Main St"),
        ("gpa", "3.5"),
        ("csrf_token", &token),
    ])
    .unwrap();
    let created = browser
        .post_raw_with_headers(
            "/students",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            &[("cookie", &session)],
        )
        .await;
    created.assert_status(StatusCode::SEE_OTHER);
    let flash = created
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("registrar_flash="))
        .expect("a flash cookie");
    assert!(flash.contains("Secure"), "{flash}");
    assert!(flash.contains("HttpOnly"), "{flash}");

    // Showing the message clears it, with a Secure cookie too.
    let shown = browser
        .get_with_headers(
            created.location().unwrap(),
            &[("cookie", &format!("{session}; registrar_flash=created"))],
        )
        .await;
    assert_eq!(shown.flash().as_deref(), Some("Student created"));
    let cleared = shown
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("registrar_flash="))
        .expect("the flash cookie cleared");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("Secure"),
        "{cleared}"
    );
}

async fn wrong_credentials_get_one_generic_message(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar("disabled", "a long password").await;
    accounts::disable(&app.db, &Username::parse("disabled").unwrap())
        .await
        .unwrap();
    let mut messages = Vec::new();
    for (username, password) in [
        (REGISTRAR, "wrong password"),
        ("nobody", PASSWORD),
        ("disabled", "a long password"),
        ("", ""),
    ] {
        let page = app.browser().sign_in(username, password).await;
        page.assert_status(StatusCode::UNAUTHORIZED);
        assert!(page.cookie("registrar_session").is_none());
        assert_eq!(
            page.form("/login").value("username"),
            Some(username),
            "the username is kept"
        );
        assert_eq!(
            page.form("/login").value("password"),
            Some(""),
            "the password is not"
        );
        messages.push(page.text("#login-error").unwrap());
    }
    assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
    // Usernames ignore case.
    app.browser()
        .sign_in("REGISTRAR", PASSWORD)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// `times` sign-ins as the registrar with a wrong password, each refused.
async fn fail_sign_ins(app: &TestApp, times: usize) {
    for _ in 0..times {
        app.browser()
            .sign_in(REGISTRAR, "wrong password")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
}

fn small_throttle(window: Duration) -> AppOptions {
    AppOptions {
        throttle: Throttle {
            window,
            per_username: 3,
            per_client: 6,
            ..Throttle::default()
        },
        ..AppOptions::default()
    }
}

async fn repeated_failures_are_throttled_per_username_and_per_address(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, small_throttle(Duration::from_secs(600))).await
    else {
        return;
    };
    fail_sign_ins(&app, 3).await;
    // Locked for this username, even with the right password...
    let locked = app.browser().sign_in(REGISTRAR, PASSWORD).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "Retry-After {retry}");
    assert!(
        locked
            .text("#login-error")
            .unwrap()
            .contains("Too many failed attempts")
    );
    assert!(locked.cookie("registrar_session").is_none());
    // ...but not for others from the same address, until the address's limit.
    app.browser()
        .sign_in("someone", "wrong password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.browser()
        .sign_in("someone.else", "wrong password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.browser()
        .sign_in("third", "wrong password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.browser()
        .sign_in("fourth", "wrong password")
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

async fn simultaneous_attempts_cannot_slip_past_the_limit(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, small_throttle(Duration::from_secs(600))).await
    else {
        return;
    };
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let browser = app.browser();
            async move { browser.sign_in(REGISTRAR, "wrong password").await.status }
        })
        .collect();
    let statuses = futures_util::future::join_all(attempts).await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(refused <= 3, "{refused} guesses were checked: {statuses:?}");
    assert_eq!(refused + throttled, 10, "{statuses:?}");
}

async fn throttling_lets_the_registrar_back_in_after_the_window(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, small_throttle(Duration::from_secs(2))).await
    else {
        return;
    };
    fail_sign_ins(&app, 3).await;
    let locked = app.browser().sign_in(REGISTRAR, PASSWORD).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry <= 2);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/students");
}

async fn sign_in_only_returns_to_local_paths(backend: Backend) {
    let app = spawn_app!(backend);
    for (next, expected) in [
        ("/students/7/edit", "/students/7/edit"),
        ("/students?q=%C3%A9", "/students?q=%C3%A9"),
        ("//evil.example/x", "/students"),
        ("/\\evil.example", "/students"),
        ("https://evil.example", "/students"),
        ("http:/evil.example", "/students"),
        ("/\t/evil.example", "/students"),
        ("javascript:alert(1)", "/students"),
        ("", "/students"),
    ] {
        let browser = app.browser();
        let login = browser
            .get(&format!(
                "/login?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            ))
            .await;
        let mut form = login.form("/login");
        form.set("username", REGISTRAR).set("password", PASSWORD);
        form.submit(&browser).await.assert_redirect_to(expected);

        // A forged `next` in the posted form is checked the same way.
        let browser = app.browser();
        browser
            .post_with_token(
                "/login",
                &[
                    ("username", REGISTRAR),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await
            .assert_redirect_to(expected);
    }
}

async fn forms_without_the_right_csrf_token_are_forbidden(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar("mallory", "mallory's password").await;
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let own = browser.csrf_token().await;
    let other = app
        .signed_in_as("mallory", "mallory's password")
        .await
        .csrf_token()
        .await;
    assert_ne!(own, other);
    let fields = [
        ("name", "Eve"),
        ("address", "x"),
        ("gpa", "1"),
        ("version", "1"),
    ];
    for path in [
        "/students".to_owned(),
        format!("/students/{id}"),
        format!("/students/{id}/delete"),
        "/logout".to_owned(),
    ] {
        for token in [
            None,
            Some(""),
            Some("forged"),
            Some(other.as_str()),
            Some(&own[1..]),
        ] {
            let mut all = fields.to_vec();
            if let Some(token) = token {
                all.push(("csrf_token", token));
            }
            let page = browser.post_form(&path, &all).await;
            page.assert_status(StatusCode::FORBIDDEN);
            assert!(page.body.contains("Nothing was saved"), "{path}");
        }
    }
    // Still signed in (the logout was refused), and nothing changed.
    browser.get("/students").await.assert_status(StatusCode::OK);
    let stored = db_checks::student(&app.db, id).await;
    assert_eq!(
        (stored.name.as_str(), stored.version, stored.deleted_at),
        ("Ada", 1, None)
    );
    assert_eq!(db_checks::student_count(&app.db).await, 1);

    // Posts a browser marks as coming from another site are refused even
    // with the right token; same-origin ones pass.
    let body = serde_urlencoded::to_string([
        ("name", "Eve"),
        ("address", "x"),
        ("gpa", "1"),
        ("csrf_token", own.as_str()),
    ])
    .unwrap();
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "https://evil.example")],
        vec![
            ("sec-fetch-site", "same-site"),
            ("origin", "https://sub.example"),
        ],
    ] {
        let page = browser
            .post_raw_with_headers(
                "/students",
                "application/x-www-form-urlencoded",
                body.clone().into_bytes(),
                &headers,
            )
            .await;
        page.assert_status(StatusCode::FORBIDDEN);
        assert!(page.body.contains("Nothing was saved"), "{headers:?}");
    }
    assert_eq!(db_checks::student_count(&app.db).await, 1);
    let origin = app.base_url.clone();
    browser
        .post_raw_with_headers(
            "/students",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            &[("sec-fetch-site", "same-origin"), ("origin", &origin)],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // The sign-in form needs its pre-session token too.
    let fresh = app.browser();
    fresh
        .post_form("/login", &[("username", REGISTRAR), ("password", PASSWORD)])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    fresh
        .post_form(
            "/login",
            &[
                ("username", REGISTRAR),
                ("password", PASSWORD),
                ("csrf_token", &own),
            ],
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

async fn idle_and_expired_sessions_end(backend: Backend) {
    use registrar::db::entities::session::Column;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};

    let app = spawn_app!(backend);
    // The periodic sweep deletes sessions past either limit, and no other.
    let _kept = app.signed_in_browser().await;
    let swept = app.signed_in_browser().await;
    swept.get("/students").await.assert_status(StatusCode::OK);
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 2);
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(13);
    let newest = session::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|s| s.created_at)
        .unwrap();
    session::Entity::update_many()
        .col_expr(Column::ExpiresAt, Expr::value(long_ago))
        .filter(Column::TokenHash.eq(newest.token_hash))
        .exec(&app.db)
        .await
        .unwrap();
    let policy =
        registrar::auth::AuthPolicy::from_settings(&registrar::config::Settings::for_tests(""));
    assert_eq!(
        registrar::auth::ended::end_expired(&app.db, &policy)
            .await
            .unwrap(),
        1
    );
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);
    session::Entity::delete_many().exec(&app.db).await.unwrap();

    for column in [Column::LastSeenAt, Column::ExpiresAt] {
        let browser = app.signed_in_browser().await;
        browser.get("/students").await.assert_status(StatusCode::OK);
        let long_ago = chrono::Utc::now() - chrono::Duration::hours(13);
        session::Entity::update_many()
            .col_expr(column, Expr::value(long_ago))
            .filter(session::Column::RegistrarId.gt(0))
            .exec(&app.db)
            .await
            .unwrap();
        browser
            .get("/students")
            .await
            .assert_redirect_to("/login?next=/students");
        assert_eq!(
            session::Entity::find().count(&app.db).await.unwrap(),
            0,
            "ended on sight"
        );
    }
}

async fn disabling_an_account_ends_its_sessions(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    browser.get("/students").await.assert_status(StatusCode::OK);
    assert!(
        accounts::disable(&app.db, &Username::parse(REGISTRAR).unwrap())
            .await
            .unwrap()
    );
    browser
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

async fn changes_are_attributed_to_the_signed_in_registrar(backend: Backend) {
    let app = spawn_app!(backend);
    app.create_registrar("grace", "grace's password").await;
    let ada = app.signed_in_browser().await;
    let grace = app.signed_in_as("grace", "grace's password").await;
    let id = app.create_student(&ada, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");
    let stale = ada.get(&format!("{path}/edit")).await.form(&path);
    let mut edit = grace.get(&format!("{path}/edit")).await.form(&path);
    edit.set("gpa", "3.5");
    edit.submit(&grace).await.assert_redirect_to(&path);

    let page = ada.get(&path).await;
    assert!(page.text(".record").unwrap().contains("by grace"));
    assert_eq!(db_checks::student(&app.db, id).await.updated_by, "grace");
    let conflict = stale.submit(&ada).await;
    conflict.assert_status(StatusCode::CONFLICT);
    assert_eq!(conflict.conflict().changes[0].registrar, "grace");
    assert_eq!(
        db_checks::conflicts(&app.db, id).await[0].registrar,
        REGISTRAR
    );
    let history = ada.get(&format!("{path}/history")).await.history();
    let by = |action: HistoryAction| -> Vec<(i64, &str)> {
        history
            .of(action)
            .iter()
            .map(|e| (e.version, e.registrar.as_str()))
            .collect()
    };
    assert_eq!(by(HistoryAction::Conflict), [(1, REGISTRAR)], "{history:?}");
    assert_eq!(by(HistoryAction::Updated), [(2, "grace")], "{history:?}");
    assert_eq!(by(HistoryAction::Created), [(1, REGISTRAR)], "{history:?}");
}

async fn a_request_stuck_behind_a_lock_times_out_with_a_page(backend: Backend) {
    let Some(app) = TestApp::spawn_with(
        backend,
        AppOptions {
            request_timeout: Duration::from_secs(1),
            ..AppOptions::default()
        },
    )
    .await
    else {
        return;
    };
    let browser = app.signed_in_browser().await;
    let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let path = format!("/students/{id}");
    let mut form = browser.get(&format!("{path}/edit")).await.form(&path);
    form.set("name", "Ada Lovelace");

    // Another writer holds the row (on SQLite, the database's write lock).
    let holder = crate::db_checks::hold_lock(&app.db, id).await;
    let started = std::time::Instant::now();
    let page = form.submit(&browser).await;
    let waited = started.elapsed();
    holder.rollback().await.unwrap();

    page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("Busy, try again"), "{}", page.body);
    assert!(page.headers.contains_key("retry-after"));
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_share_sessions() {
    let first = spawn_app!(Backend::Postgres);
    let second = first.another_instance().await;
    let browser = first.signed_in_browser().await;
    // Cookies ignore ports: the same browser, signed in on the first
    // instance, is signed in on the second.
    let elsewhere = browser.get(&format!("{}/students", second.base_url)).await;
    elsewhere.assert_status(StatusCode::OK);
    assert!(elsewhere.text(".signed-in").unwrap().contains(REGISTRAR));
    // Signing out on the second ends the session on the first.
    let out = elsewhere.form("/logout");
    let token = out.value("csrf_token").unwrap().to_owned();
    browser
        .post_form(
            &format!("{}/logout", second.base_url),
            &[("csrf_token", &token)],
        )
        .await
        .assert_redirect_to("/login");
    browser
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
}

async fn logs_never_hold_passwords_tokens_or_form_values(backend: Backend) {
    let app = spawn_app!(backend);
    let id = app
        .create_student(&app.signed_in_browser().await, "Ada", "1 Main St", "3")
        .await;
    let log = std::env::temp_dir().join(format!(
        "registrar-log-{}-{}.txt",
        std::process::id(),
        app.address.port()
    ));
    let server = crate::process::ServerProcess::start_logging(app.database_url(), &log).await;
    let browser = registrar::testing::Browser::new(&server.base_url);
    let signed_in = browser.sign_in(REGISTRAR, PASSWORD).await;
    signed_in.assert_status(StatusCode::SEE_OTHER);
    let session = signed_in.cookie("registrar_session").unwrap();
    registrar::testing::Browser::new(&server.base_url)
        .sign_in("nobody", "a wrong secret guess")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let path = format!("/students/{id}");
    let mut form = browser.get(&format!("{path}/edit")).await.form(&path);
    let csrf = form.value("csrf_token").unwrap().to_owned();
    form.set("name", "Secret Sauce Name")
        .set("address", "Hidden Address 42");
    form.submit(&browser).await.assert_redirect_to(&path);
    browser
        .get("/students?q=private+search+text")
        .await
        .assert_status(StatusCode::OK);
    drop(server);

    let logged = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(
        logged.contains("path=/students"),
        "request lines are logged: {logged}"
    );
    for secret in [
        PASSWORD,
        "a wrong secret guess",
        session.as_str(),
        csrf.as_str(),
        "Secret Sauce Name",
        "Hidden Address 42",
        "private",
    ] {
        assert!(!logged.contains(secret), "the log holds {secret:?}");
    }
}
