//! Who sees a kept form, and what keeps nothing (contract §12): only the
//! account that typed it ever sees it; a post whose cookie and token match
//! no session ended within a day is refused as §4 says and keeps nothing;
//! a kept form is offered for a day, an account keeps its newest 20; a
//! form refused because its account lost the right to write answers `403`
//! showing what was typed, and keeps nothing.

use axum::http::StatusCode;
use chrono::Utc;
use registrar::accounts::changes::Actor;
use registrar::accounts::store::{Change, change};
use registrar::db::entities::{ended_session, kept_form};
use registrar::domain::{Role, Username};
use registrar::testing::{Backend, PASSWORD, Page, REGISTRAR};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use crate::db_checks;
use crate::kept::{kept_count, kept_path, post_with_cookie, sign_in_at, signed_in_with_token};
use crate::roles::{CLERK, OTHER_PASSWORD, create_account};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    only_the_account_that_typed_it_sees_a_kept_form,
    a_post_matching_no_ended_session_keeps_nothing,
    kept_forms_last_a_day_and_an_account_keeps_its_newest_twenty,
    a_writer_that_lost_the_right_gets_a_403_showing_what_was_typed,
);

async fn only_the_account_that_typed_it_sees_a_kept_form(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, CLERK, OTHER_PASSWORD, Role::Registrar).await;
    let (browser, token) = signed_in_with_token(&app, REGISTRAR, PASSWORD).await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.50")
        .await;
    let form = app
        .edit_form(&browser, id, &[("address", "Secret Lane 9")])
        .await;
    browser
        .get("/students")
        .await
        .form("/logout")
        .submit(&browser)
        .await;
    let kept = kept_path(&post_with_cookie(&app, &form, &token).await);

    // Another registrar signs in on that same sign-in page: the list, not
    // the form; the form's page is a 404 as any unknown one; its account
    // page lists nothing; it cannot discard it.
    let landed = sign_in_at(
        &browser,
        &format!("/login?next={kept}"),
        CLERK,
        OTHER_PASSWORD,
    )
    .await;
    landed.assert_redirect_to("/students");
    let page = browser.get(&kept).await;
    page.assert_status(StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Secret Lane"));
    let account = browser.get("/account").await;
    account.assert_status(StatusCode::OK);
    assert!(account.text("#kept-heading").is_none());
    assert!(!account.body.contains("Secret Lane"));
    browser
        .post_with_token(&format!("{kept}/discard"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(kept_count(&app).await, 1);

    // Its own account signing in without a `next` lands on it (it has
    // not opened it yet); once opened, no more.
    let own = app.browser();
    let landed = own.sign_in(REGISTRAR, PASSWORD).await;
    landed.assert_redirect_to(&kept);
    own.get(&kept).await.assert_status(StatusCode::OK);
    let again = app.browser();
    again
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/students");
    // It discards it.
    let offered = again.get(&kept).await;
    offered
        .form(&format!("{kept}/discard"))
        .submit(&again)
        .await
        .assert_redirect_to("/account");
    assert_eq!(kept_count(&app).await, 0);
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
}

async fn a_post_matching_no_ended_session_keeps_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    let (browser, token) = signed_in_with_token(&app, REGISTRAR, PASSWORD).await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.50")
        .await;
    let form = app
        .edit_form(&browser, id, &[("address", "2 High St")])
        .await;
    browser
        .get("/students")
        .await
        .form("/logout")
        .submit(&browser)
        .await;

    // A cookie no session ever had, with the form's token.
    let forged = "A".repeat(43);
    post_with_cookie(&app, &form, &forged)
        .await
        .assert_redirect_to("/login");
    // The ended session's cookie with another token, or none.
    let mut wrong = form.clone();
    wrong.set("csrf_token", &"B".repeat(43));
    post_with_cookie(&app, &wrong, &token)
        .await
        .assert_redirect_to("/login");
    let mut without = form.clone();
    without.remove("csrf_token");
    post_with_cookie(&app, &without, &token)
        .await
        .assert_redirect_to("/login");
    // The token without the cookie.
    form.submit(&app.browser())
        .await
        .assert_redirect_to("/login");
    assert_eq!(kept_count(&app).await, 0);

    // The right cookie and token, of a session that ended over a day ago.
    ended_session::Entity::update_many()
        .col_expr(
            ended_session::Column::EndedAt,
            Expr::value(Utc::now() - chrono::Duration::hours(25)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    post_with_cookie(&app, &form, &token)
        .await
        .assert_redirect_to("/login");
    assert_eq!(kept_count(&app).await, 0);
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
    // The sweep forgets it.
    registrar::kept::store::sweep(&app.db, registrar::db::now())
        .await
        .unwrap();
    assert_eq!(
        ended_session::Entity::find().all(&app.db).await.unwrap(),
        vec![]
    );
}

async fn kept_forms_last_a_day_and_an_account_keeps_its_newest_twenty(backend: Backend) {
    let app = spawn_app!(backend);
    let (browser, token) = signed_in_with_token(&app, REGISTRAR, PASSWORD).await;
    let id = app
        .create_student(&browser, "Ada", "1 Main St", "3.50")
        .await;
    let form = app.edit_form(&browser, id, &[]).await;
    browser
        .get("/students")
        .await
        .form("/logout")
        .submit(&browser)
        .await;
    let mut kept = Vec::new();
    for n in 0..22 {
        let mut typed = form.clone();
        typed.set("address", &format!("{n} Main St"));
        kept.push(kept_path(&post_with_cookie(&app, &typed, &token).await));
    }
    let rows = kept_form::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 20, "{}", backend.name());
    let fresh = app.signed_in_as(REGISTRAR, PASSWORD).await;
    fresh
        .get(&kept[0])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let newest = fresh.get(&kept[21]).await;
    assert_eq!(
        newest.form(&format!("/students/{id}")).value("address"),
        Some("21 Main St")
    );

    // A day later: no longer offered, then swept.
    kept_form::Entity::update_many()
        .col_expr(
            kept_form::Column::KeptAt,
            Expr::value(Utc::now() - chrono::Duration::hours(25)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    fresh
        .get(&kept[21])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let account = fresh.get("/account").await;
    account.assert_status(StatusCode::OK);
    assert!(account.text("#kept-heading").is_none());
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_redirect_to("/students");
    registrar::kept::store::sweep(&app.db, registrar::db::now())
        .await
        .unwrap();
    assert_eq!(kept_count(&app).await, 0);
}

/// The values the `403` page shows to copy.
fn typed(page: &Page) -> Vec<String> {
    page.texts(".typed textarea")
}

async fn a_writer_that_lost_the_right_gets_a_403_showing_what_was_typed(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, CLERK, OTHER_PASSWORD, Role::Registrar).await;
    let admin = app.signed_in_browser().await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3.50").await;
    let demote = |role| {
        let db = app.db.clone();
        async move {
            change(&db, &Actor::CommandLine, CLERK, None, Change::Role(role))
                .await
                .expect("the role changed");
        }
    };

    // Demoted to viewer while the form was open: the session lives on.
    let clerk = app.signed_in_as(CLERK, OTHER_PASSWORD).await;
    let mut form = app
        .edit_form(&clerk, id, &[("address", "2 High St"), ("gpa", "3.9")])
        .await;
    form.set("reason", "moved")
        .add("password", "never shown at all");
    demote(Role::Viewer).await;
    let refused = form.submit(&clerk).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert!(
        refused
            .text("main")
            .unwrap_or_default()
            .contains("Not allowed")
    );
    assert_eq!(typed(&refused), ["Ada", "2 High St", "3.9", "moved"]);
    assert!(!refused.body.contains("never shown"));
    // The navigation stays (§12's 403 pages keep the header).
    assert!(
        refused
            .text(".signed-in")
            .unwrap_or_default()
            .contains(CLERK)
    );
    // A form token's refusal shows nothing of the form.
    demote(Role::Registrar).await;
    let mut forged = form.clone();
    forged.set("csrf_token", &"C".repeat(43));
    let refused = forged.submit(&clerk).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert!(typed(&refused).is_empty());

    // Signed out, then demoted: the ended session's form is refused the
    // same way, and kept nowhere.
    let (clerk, token) = signed_in_with_token(&app, CLERK, OTHER_PASSWORD).await;
    let new = clerk.get("/students/new").await;
    let mut create = new.form("/students");
    create
        .set("name", "Grace")
        .set("address", "7 Harbour Rd")
        .set("gpa", "3.8");
    clerk
        .get("/students")
        .await
        .form("/logout")
        .submit(&clerk)
        .await;
    demote(Role::Viewer).await;
    let refused = post_with_cookie(&app, &create, &token).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(typed(&refused), ["Grace", "7 Harbour Rd", "3.8"]);

    // Disabled by an admin (which ends its sessions) while the form was open.
    demote(Role::Registrar).await;
    let clerk = app.signed_in_as(CLERK, OTHER_PASSWORD).await;
    let form = app.edit_form(&clerk, id, &[("name", "Ada Lovelace")]).await;
    registrar::accounts::disable(&app.db, &Username::parse(CLERK).unwrap())
        .await
        .unwrap();
    let refused = form.submit(&clerk).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    assert!(
        refused
            .text("main")
            .unwrap_or_default()
            .contains("no longer enabled")
    );
    assert_eq!(typed(&refused)[0], "Ada Lovelace");

    assert_eq!(kept_count(&app).await, 0);
    assert_eq!(db_checks::student_count(&app.db).await, 1);
    assert_eq!(db_checks::student(&app.db, id).await.version, 1);
}
