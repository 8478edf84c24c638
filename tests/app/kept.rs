//! A session that ends mid-edit loses nothing (contract §12): a record
//! form posted with the cookie and form token of a session that ended
//! (signed out, signed out elsewhere, idle, past its limit, signed in
//! again) is kept for its account alone and offered back after it signs
//! in, at the version it had; a form refused because its account lost the
//! right to write answers `403` showing what was typed. Real form posts,
//! on every backend.

use axum::http::StatusCode;
use chrono::Utc;
use registrar::db::entities::{ended_session, kept_form, session};
use registrar::testing::{Backend, Browser, Form, Page, TestApp};
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::db_checks;
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_form_posted_after_signing_out_is_kept_and_saved_after_signing_in,
    a_form_posted_after_being_signed_out_elsewhere_is_offered_at_its_old_version,
    forms_posted_after_idle_or_absolute_expiry_are_kept,
    a_second_tab_after_signing_in_again_keeps_its_form,
);

/// A browser signed in as `username`, and its session cookie's token.
pub async fn signed_in_with_token(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (Browser, String) {
    let browser = app.browser();
    let answer = browser.sign_in(username, password).await;
    answer.assert_status(StatusCode::SEE_OTHER);
    let token = answer
        .cookie("registrar_session")
        .expect("a session cookie");
    (browser, token)
}

/// Posts `form` as the browser that held the session `token` would: with
/// that cookie (and the form's own token, among its fields).
pub async fn post_with_cookie(app: &TestApp, form: &Form, token: &str) -> Page {
    let body = serde_urlencoded::to_string(form.fields()).expect("fields encode");
    app.browser()
        .post_raw_with_headers(
            &form.action,
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            &[("cookie", &format!("registrar_session={token}"))],
        )
        .await
}

/// The kept form a `303` to sign in leads to (`/login?next=/account/kept/N`).
pub fn kept_path(answer: &Page) -> String {
    answer.assert_status(StatusCode::SEE_OTHER);
    let location = answer.location().unwrap_or_default();
    location
        .strip_prefix("/login?next=")
        .filter(|next| next.starts_with("/account/kept/"))
        .unwrap_or_else(|| {
            panic!(
                "{} led to {location:?}, not to sign in and a kept form",
                answer.path
            )
        })
        .to_owned()
}

/// Signs in through the sign-in page `at` (where a post was sent); the
/// answer.
pub async fn sign_in_at(browser: &Browser, at: &str, username: &str, password: &str) -> Page {
    let page = browser.get(at).await;
    page.assert_status(StatusCode::OK);
    let mut form = page.form("/login");
    form.set("username", username).set("password", password);
    form.submit(browser).await
}

pub async fn kept_count(app: &TestApp) -> u64 {
    kept_form::Entity::find()
        .count(&app.db)
        .await
        .expect("query")
}

async fn a_form_posted_after_signing_out_is_kept_and_saved_after_signing_in(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.browser();
    let signed = browser
        .sign_in(registrar::testing::REGISTRAR, registrar::testing::PASSWORD)
        .await;
    let token = signed
        .cookie("registrar_session")
        .expect("a session cookie");
    // The browser keeps the session cookie a day past the session's
    // 12-hour limit, so a form posted after it expired is recognised.
    let session_cookie = signed
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("registrar_session="))
        .unwrap();
    assert!(
        session_cookie.contains(&format!("Max-Age={}", 36 * 3600)),
        "{session_cookie}"
    );
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.50")
        .await;
    let mut form = app
        .edit_form(&browser, id, &[("address", "2 High St"), ("gpa", "3.9")])
        .await;
    form.set("reason", "moved house");
    // Fields no record form has, which must never be kept.
    form.add("password", "hunter2 hunter2 hunter2")
        .add("current_password", "correct horse battery staple")
        .add("code", "123456");

    // Signed out in another tab of the same browser while the form was
    // open: the session cookie goes, the sign-out's `registrar_ended`
    // (the ended session's token, for a day) takes its place.
    let list = browser.get("/students").await;
    let out = list.form("/logout").submit(&browser).await;
    out.assert_redirect_to("/login");
    assert_eq!(out.cookie("registrar_session").as_deref(), Some(""));
    let ended_cookie = out
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("registrar_ended="))
        .expect("the sign-out's cookie");
    assert!(
        ended_cookie.starts_with(&format!("registrar_ended={token};"))
            && ended_cookie.contains("HttpOnly")
            && ended_cookie.contains("SameSite=Strict")
            && ended_cookie.contains("Max-Age=86400"),
        "{ended_cookie}"
    );
    let answer = form.submit(&browser).await;
    let kept = kept_path(&answer);

    // Not applied, and nothing public about it.
    let student = db_checks::student(&app.db, id).await;
    assert_eq!(
        (student.version, student.address.as_str()),
        (1, "1 Main St")
    );
    assert_eq!(db_checks::all_revisions(&app.db, id).await, 1);
    assert!(db_checks::conflicts(&app.db, id).await.is_empty());
    let colleague = app.signed_in_browser().await;
    let history = colleague.get(&format!("/students/{id}/history")).await;
    history.assert_status(StatusCode::OK);
    assert!(!history.body.contains("2 High St"));

    // What was kept: the form's fields only.
    let rows = kept_form::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1, "{}", backend.name());
    let row = &rows[0];
    assert_eq!(
        (
            row.action,
            row.student_id,
            row.version,
            row.reason.as_deref()
        ),
        (
            kept_form::FormAction::Edit,
            Some(id),
            Some(1),
            Some("moved house")
        )
    );
    assert_eq!(row.ended_by, kept_form::EndCause::SignedOut);
    for secret in ["hunter2", "correct horse", "123456", &token] {
        assert!(!format!("{row:?}").contains(secret), "{secret} was kept");
    }

    // Signing in again lands on the form, with its values and version.
    let landed = sign_in_at(
        &browser,
        &format!("/login?next={kept}"),
        registrar::testing::REGISTRAR,
        registrar::testing::PASSWORD,
    )
    .await;
    landed.assert_redirect_to(&kept);
    // Signing in removes the sign-out's cookie.
    assert_eq!(landed.cookie("registrar_ended").as_deref(), Some(""));
    let offered = browser.get(&kept).await;
    offered.assert_status(StatusCode::OK);
    assert!(
        offered
            .text("#kept-notice")
            .unwrap_or_default()
            .contains("was kept when your session ended (you signed out); check and save"),
        "{}",
        offered.body
    );
    let again = offered.form(&format!("/students/{id}"));
    assert_eq!(again.value("version"), Some("1"));
    assert_eq!(again.value("address"), Some("2 High St"));
    assert_eq!(again.value("gpa"), Some("3.9"));
    assert_eq!(again.value("reason"), Some("moved house"));
    for secret in ["hunter2", "correct horse", "123456"] {
        assert!(!offered.body.contains(secret), "{secret} was shown");
    }
    // The account page lists it too.
    let account = browser.get("/account").await;
    assert!(account.text("#kept-heading").is_some());
    assert_eq!(
        account.href(".kept-forms a").as_deref(),
        Some(kept.as_str())
    );

    // The record did not move: saving it writes it, and forgets it.
    again
        .submit(&browser)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    let student = db_checks::student(&app.db, id).await;
    assert_eq!(
        (student.version, student.address.as_str()),
        (2, "2 High St")
    );
    assert_eq!(kept_count(&app).await, 0);
    browser
        .get(&kept)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn a_form_posted_after_being_signed_out_elsewhere_is_offered_at_its_old_version(
    backend: Backend,
) {
    let app = spawn_app!(backend);
    let user = (registrar::testing::REGISTRAR, registrar::testing::PASSWORD);
    let desk = app.signed_in_as(user.0, user.1).await;
    let id = app.create_student(&desk, "Ada", "1 Main St", "3.50").await;
    let form = app.edit_form(&desk, id, &[("address", "2 High St")]).await;

    // From the phone: "Sign out everywhere else". The desk still holds
    // its (ended) session's cookie.
    let phone = app.signed_in_as(user.0, user.1).await;
    let account = phone.get("/account").await;
    account
        .form("/account/sessions/end-others")
        .submit(&phone)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let answer = form.submit(&desk).await;
    let kept = kept_path(&answer);
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);

    // Meanwhile someone else changes the record.
    app.edit_student(&phone, id, &[("gpa", "2.5")])
        .await
        .assert_status(StatusCode::SEE_OTHER);

    let landed = sign_in_at(&desk, &format!("/login?next={kept}"), user.0, user.1).await;
    landed.assert_redirect_to(&kept);
    let offered = desk.get(&kept).await;
    assert!(
        offered
            .text("#kept-notice")
            .unwrap_or_default()
            .contains("it was signed out from another session")
    );
    let again = offered.form(&format!("/students/{id}"));
    assert_eq!(again.value("version"), Some("1"), "the version it had");
    // Saving follows §2: the record moved, so the conflict page.
    let conflict = again.submit(&desk).await;
    conflict.assert_status(StatusCode::CONFLICT);
    let page = conflict.conflict();
    assert_eq!(page.field("address").yours, "2 High St");
    assert_eq!(page.field("gpa").now, "2.50");
    assert_eq!(kept_count(&app).await, 0, "answered for good: forgotten");

    // A delete form of a session ended from /account (one session's "Sign
    // out"): kept, and offered back as a delete at its version.
    let (tablet, token) = signed_in_with_token(&app, user.0, user.1).await;
    let record = tablet.get(&format!("/students/{id}/delete")).await;
    let mut delete = record.form(&format!("/students/{id}/delete"));
    delete.set("reason", "left the university");
    // The desk's account page lists its own session and the others:
    // "Sign out" each of the others.
    let sessions = desk.get("/account").await;
    let own = sessions
        .attr("tr.this-session", "data-session")
        .expect("this session is marked");
    for end in sessions
        .forms()
        .into_iter()
        .filter(|f| f.action.ends_with("/end") && !f.action.contains(&own))
    {
        end.submit(&desk).await.assert_status(StatusCode::SEE_OTHER);
    }
    let answer = post_with_cookie(&app, &delete, &token).await;
    let kept = kept_path(&answer);
    assert!(db_checks::student(&app.db, id).await.deleted_at.is_none());
    let offered = desk.get(&kept).await;
    offered.assert_status(StatusCode::OK);
    let again = offered.form(&format!("/students/{id}/delete"));
    assert_eq!(again.value("reason"), Some("left the university"));
    assert_eq!(again.value("version"), Some("2"));
    again.submit(&desk).await.assert_redirect_to("/students");
    assert!(db_checks::student(&app.db, id).await.deleted_at.is_some());
    assert_eq!(kept_count(&app).await, 0);
}

async fn forms_posted_after_idle_or_absolute_expiry_are_kept(backend: Backend) {
    let app = spawn_app!(backend);
    let user = (registrar::testing::REGISTRAR, registrar::testing::PASSWORD);

    // Idle: no request for three hours (the limit is two), noticed when
    // the form is posted. A new student's form.
    let browser = app.signed_in_as(user.0, user.1).await;
    let new = browser.get("/students/new").await;
    let mut create = new.form("/students");
    create
        .set("name", "Grace")
        .set("address", "7 Harbour Rd")
        .set("gpa", "3.8");
    let three_hours_ago = Utc::now() - chrono::Duration::hours(3);
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(three_hours_ago))
        .exec(&app.db)
        .await
        .unwrap();
    let answer = create.submit(&browser).await;
    let kept = kept_path(&answer);
    assert_eq!(db_checks::student_count(&app.db).await, 0);
    let ended = ended_session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].cause, ended_session::EndCause::Idle);
    let idle_end = three_hours_ago + chrono::Duration::hours(2);
    assert!(
        (ended[0].ended_at - idle_end).num_seconds().abs() <= 1,
        "ended when it reached its idle limit: {} vs {idle_end}",
        ended[0].ended_at
    );
    sign_in_at(&browser, &format!("/login?next={kept}"), user.0, user.1)
        .await
        .assert_redirect_to(&kept);
    let offered = browser.get(&kept).await;
    assert!(
        offered
            .text("#kept-notice")
            .unwrap_or_default()
            .contains("idle")
    );
    let again = offered.form("/students");
    assert_eq!(again.value("name"), Some("Grace"));
    let created = again.submit(&browser).await;
    created.assert_status(StatusCode::SEE_OTHER);
    let id = db_checks::student_of_any(&app.db).await;
    assert_eq!(created.location(), Some(format!("/students/{id}").as_str()));
    app.edit_student(&browser, id, &[("gpa", "2.0")])
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // Past the absolute limit, found by the periodic sweep before the
    // form was posted. A restore form of the history.
    let history = browser.get(&format!("/students/{id}/history")).await;
    let restore = history
        .forms()
        .into_iter()
        .find(|f| f.action.ends_with("/restore") && f.value("revision") == Some("1"))
        .expect("a restore form of version 1");
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(5)),
        )
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
    let answer = restore.submit(&browser).await;
    let kept = kept_path(&answer);
    assert_eq!(db_checks::student(&app.db, id).await.version, 2);
    sign_in_at(&browser, &format!("/login?next={kept}"), user.0, user.1)
        .await
        .assert_redirect_to(&kept);
    let offered = browser.get(&kept).await;
    assert!(
        offered
            .text("#kept-notice")
            .unwrap_or_default()
            .contains("it reached its time limit")
    );
    let again = offered.form(&format!("/students/{id}/restore"));
    assert_eq!(
        (again.value("version"), again.value("revision")),
        (Some("2"), Some("1"))
    );
    again
        .submit(&browser)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    let student = db_checks::student(&app.db, id).await;
    assert_eq!((student.version, student.gpa_hundredths), (3, 380));
}

async fn a_second_tab_after_signing_in_again_keeps_its_form(backend: Backend) {
    let app = spawn_app!(backend);
    let user = (registrar::testing::REGISTRAR, registrar::testing::PASSWORD);
    let browser = app.signed_in_as(user.0, user.1).await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.50")
        .await;
    // Tab one: the edit form. Tab two: signing in again, which ends the
    // session tab one's form belongs to and gives the browser a new one.
    let form = app.edit_form(&browser, id, &[("name", "Ada King")]).await;
    browser
        .post_with_token("/login", &[("username", user.0), ("password", user.1)])
        .await
        .assert_redirect_to("/students");
    // Tab one's form now goes with the new cookie and the old token: its
    // account's, so it is kept and offered at once (no sign-in needed).
    let answer = form.submit(&browser).await;
    answer.assert_status(StatusCode::SEE_OTHER);
    let kept = answer.location().unwrap_or_default().to_owned();
    assert!(kept.starts_with("/account/kept/"), "{kept}");
    let offered = browser.get(&kept).await;
    assert!(
        offered
            .text("#kept-notice")
            .unwrap_or_default()
            .contains("you signed in again")
    );
    offered
        .form(&format!("/students/{id}"))
        .submit(&browser)
        .await
        .assert_redirect_to(&format!("/students/{id}"));
    assert_eq!(db_checks::student(&app.db, id).await.name, "Ada King");

    // A stale token that was never this account's is still refused (§4).
    let mut forged = app.edit_form(&browser, id, &[("name", "Eve")]).await;
    forged.set("csrf_token", "not-a-token-of-any-session-not-a-token-of-a");
    forged
        .submit(&browser)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(kept_count(&app).await, 0);
}
