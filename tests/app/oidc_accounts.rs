//! The university sign-in's accounts on every backend (contract §14):
//! created at the first sign-in with the role the groups give, the role
//! set again at each sign-in and recorded, never matched by username, a
//! user in no group refused with nothing created, a disabled account
//! refused, and never the first account made an admin by it.

use axum::http::StatusCode;
use registrar::accounts::changes;
use registrar::accounts::provider::identity_of;
use registrar::accounts::store::{self, Change};
use registrar::accounts::{self, changes::Actor};
use registrar::domain::{Role, Username};
use registrar::testing::{Backend, Browser, PASSWORD, TestApp};

use crate::oidc_harness::{self as harness, Mode};
use crate::on_every_backend;

async fn account(app: &TestApp, username: &str) -> Option<accounts::Account> {
    accounts::find_by_username(&app.db, username)
        .await
        .expect("reading accounts")
}

async fn a_first_sign_in_creates_the_account_with_the_role_its_groups_give(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    // Nobody signed up before: the provider's first account is no admin
    // for being first, it is what its groups say.
    assert!(!accounts::any_exist(&app.db).await.unwrap());
    let vera = Browser::new(&app.base_url);
    let page = harness::sign_in(
        &vera,
        &provider,
        "/login/oidc?next=/students%3Fq%3Dx",
        "vera",
    )
    .await;
    page.assert_redirect_to("/students?q=x");
    vera.get("/students?q=x")
        .await
        .assert_status(StatusCode::OK);
    vera.get("/students/new")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let created = account(&app, "vera").await.expect("vera's account");
    assert_eq!(created.role, Role::Viewer);
    let identity = identity_of(&app.db, created.id)
        .await
        .unwrap()
        .expect("linked");
    assert_eq!(
        (identity.issuer.as_str(), identity.subject.as_str()),
        (provider.issuer().as_str(), "vera")
    );

    let ada = Browser::new(&app.base_url);
    harness::sign_in(&ada, &provider, "/login/oidc", "ada")
        .await
        .assert_redirect_to("/students");
    assert_eq!(account(&app, "ada").await.unwrap().role, Role::Admin);
    ada.get("/accounts").await.assert_status(StatusCode::OK);
    let reggie = Browser::new(&app.base_url);
    harness::sign_in(&reggie, &provider, "/login/oidc", "reggie")
        .await
        .assert_redirect_to("/students");
    assert_eq!(account(&app, "reggie").await.unwrap().role, Role::Registrar);
    reggie
        .get("/students/new")
        .await
        .assert_status(StatusCode::OK);
    // A provider account has no password to sign in with.
    let other = Browser::new(&app.base_url);
    other
        .sign_in("reggie", "!provider")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

async fn the_role_is_set_from_the_claims_at_every_sign_in_and_recorded(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    let browser = Browser::new(&app.base_url);
    harness::sign_in(&browser, &provider, "/login/oidc", "reggie")
        .await
        .assert_redirect_to("/students");
    // Someone makes reggie an admin by hand; the groups say registrar.
    let outcome = store::change(
        &app.db,
        &Actor::CommandLine,
        "reggie",
        None,
        Change::Role(Role::Admin),
    )
    .await
    .unwrap();
    assert!(
        matches!(outcome, store::ChangeOutcome::Saved(_)),
        "{outcome:?}"
    );
    let again = Browser::new(&app.base_url);
    harness::sign_in(&again, &provider, "/login/oidc", "reggie")
        .await
        .assert_redirect_to("/students");
    let reggie = account(&app, "reggie").await.unwrap();
    assert_eq!(reggie.role, Role::Registrar);
    let newest = changes::newest(&app.db, reggie.id, 1).await.unwrap();
    assert_eq!(newest[0].actor, "university sign-in");
    assert!(
        newest[0].detail.contains("admin → registrar"),
        "{}",
        newest[0].detail
    );
    again
        .get("/accounts")
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

async fn a_user_in_no_group_is_refused_and_nothing_is_created(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    let browser = Browser::new(&app.base_url);
    let page = harness::sign_in(&browser, &provider, "/login/oidc", "nobody").await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert!(page.body.contains("No registrar role"), "{}", page.body);
    assert!(page.cookie("registrar_session").is_none());
    assert!(account(&app, "nobody").await.is_none());
    browser
        .get("/students")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

async fn a_disabled_account_stays_refused(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    harness::sign_in(
        &Browser::new(&app.base_url),
        &provider,
        "/login/oidc",
        "reggie",
    )
    .await
    .assert_redirect_to("/students");
    accounts::disable(&app.db, &Username::parse("reggie").unwrap())
        .await
        .unwrap();
    let browser = Browser::new(&app.base_url);
    let page = harness::sign_in(&browser, &provider, "/login/oidc", "reggie").await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert!(page.cookie("registrar_session").is_none());
    browser
        .get("/students")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

async fn a_taken_username_is_never_matched_but_made_unique(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    app.create_registrar("Reggie", PASSWORD).await;
    let password_account = account(&app, "reggie").await.unwrap();
    harness::sign_in(
        &Browser::new(&app.base_url),
        &provider,
        "/login/oidc",
        "reggie",
    )
    .await
    .assert_redirect_to("/students");
    let made = account(&app, "reggie-2")
        .await
        .expect("a new account, reggie-2");
    assert_ne!(made.id, password_account.id);
    assert!(
        identity_of(&app.db, password_account.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(identity_of(&app.db, made.id).await.unwrap().is_some());
}

async fn an_admin_links_a_password_account_to_a_university_identity(backend: Backend) {
    let Some((app, provider)) = harness::spawn(backend, Mode::Normal, true, |_| {}).await else {
        return;
    };
    app.create_registrar("boss", PASSWORD).await; // the first: an admin
    app.create_registrar("clerk", PASSWORD).await;
    let boss = Browser::new(&app.base_url);
    boss.sign_in("boss", PASSWORD)
        .await
        .assert_redirect_to("/students");
    let page = boss.get("/accounts/clerk").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(
        page.text("#sign-in-method").as_deref(),
        Some("with a registrar password")
    );
    let mut form = page.form("/accounts/clerk/identity");
    form.set("subject", "");
    form.submit(&boss)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    form.set("subject", "reggie");
    form.submit(&boss)
        .await
        .assert_redirect_to("/accounts/clerk");
    let page = boss.get("/accounts/clerk").await;
    assert!(
        page.forms()
            .iter()
            .all(|f| f.action != "/accounts/clerk/identity")
    );
    assert!(
        page.text("#sign-in-method").unwrap().contains("“reggie”"),
        "{}",
        page.body
    );

    // Reggie's university sign-in is the clerk's account now, its role
    // what the groups say; no account of Reggie's own is made.
    let reggie = Browser::new(&app.base_url);
    harness::sign_in(&reggie, &provider, "/login/oidc", "reggie")
        .await
        .assert_redirect_to("/students");
    assert!(account(&app, "reggie").await.is_none());
    let own = reggie.get("/account").await;
    assert!(own.body.contains("<bdi>clerk</bdi>"), "{}", own.body);
    assert!(
        own.text("#sign-in-method")
            .unwrap()
            .contains("university account"),
        "{}",
        own.body
    );
    let changes = changes::newest(&app.db, account(&app, "clerk").await.unwrap().id, 5)
        .await
        .unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.action == "linked" && c.actor == "boss")
    );
}

on_every_backend!(
    an_admin_links_a_password_account_to_a_university_identity,
    a_first_sign_in_creates_the_account_with_the_role_its_groups_give,
    the_role_is_set_from_the_claims_at_every_sign_in_and_recorded,
    a_user_in_no_group_is_refused_and_nothing_is_created,
    a_disabled_account_stays_refused,
    a_taken_username_is_never_matched_but_made_unique,
);
