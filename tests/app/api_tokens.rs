//! API tokens at the gate (contract §13): `Authorization: Bearer` is the
//! only credential; missing, malformed, unknown, expired and revoked tokens
//! are `401` with `WWW-Authenticate: Bearer`, a session cookie is nothing;
//! a token acts with its account's role now, capped by its own; wrong
//! tokens are throttled per address on a counter of their own.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use registrar::accounts::changes::Actor;
use registrar::accounts::store::{self, Change};
use registrar::api_tokens::store as tokens;
use registrar::auth::{Throttle, TokenThrottle};
use registrar::db::entities::{api_token, api_token_failure, login_failure};
use registrar::domain::Role;
use registrar::testing::{AppOptions, Backend, Browser, PASSWORD, Page, REGISTRAR, TestApp};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

use crate::on_every_backend;
use crate::roles::{OTHER_PASSWORD, create_account};

on_every_backend!(
    requests_without_a_valid_token_are_401_with_www_authenticate,
    a_signed_in_browser_gets_nothing_from_the_api,
    a_token_acts_with_its_accounts_role_now_capped_by_its_own,
    a_disabled_accounts_tokens_stop_at_once,
    wrong_tokens_are_throttled_per_address_and_the_sign_in_page_is_not,
);

/// `GET /api/v1/me` with these headers, from a client without cookies.
pub async fn me_with(app: &TestApp, headers: &[(&str, &str)]) -> Page {
    app.browser().get_with_headers("/api/v1/me", headers).await
}

/// `GET /api/v1/me` with `token` as the bearer token.
pub async fn me(app: &TestApp, token: &str) -> Page {
    let bearer = format!("Bearer {token}");
    me_with(app, &[("authorization", &bearer)]).await
}

/// The JSON body of a `200`.
pub fn json(page: &Page) -> Value {
    page.assert_status(StatusCode::OK);
    serde_json::from_str(&page.body).unwrap_or_else(|e| panic!("{e}: {}", page.body))
}

/// A `401` problem asking for a bearer token.
pub fn assert_unauthorized(page: &Page, what: &str) {
    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        page.body
    );
    assert_eq!(
        page.headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer"),
        "{what}"
    );
    assert_eq!(
        page.headers["content-type"].to_str().unwrap(),
        "application/problem+json",
        "{what}"
    );
    let problem: Value = serde_json::from_str(&page.body).expect("a problem document");
    assert_eq!(
        problem["type"], "urn:registrar:problem:unauthorized",
        "{what}"
    );
    assert_eq!(problem["status"], 401, "{what}");
}

async fn requests_without_a_valid_token_are_401_with_www_authenticate(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let good = app.api_token(REGISTRAR, None).await;
    json(&me(&app, &good).await);
    // The scheme's case does not matter.
    json(&me_with(&app, &[("authorization", &format!("bEaReR {good}"))]).await);

    let expired = app.api_token(REGISTRAR, None).await;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::ExpiresAt,
            Expr::value(Some(Utc::now() - chrono::Duration::seconds(1))),
        )
        .filter(api_token::Column::TokenHash.eq(registrar::auth::tokens::digest(&expired)))
        .exec(&app.db)
        .await
        .unwrap();
    let revoked = app.api_token(REGISTRAR, None).await;
    let revoked_id = json(&me(&app, &revoked).await)["token"]["id"]
        .as_i64()
        .unwrap();
    tokens::revoke(&app.db, &Actor::CommandLine, revoked_id, None)
        .await
        .unwrap();

    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("missing", vec![]),
        (
            "another scheme",
            vec![("authorization", format!("Basic {good}"))],
        ),
        ("no token", vec![("authorization", "Bearer".to_owned())]),
        (
            "two tokens",
            vec![("authorization", format!("Bearer {good} {good}"))],
        ),
        (
            "two headers",
            vec![
                ("authorization", format!("Bearer {good}")),
                ("authorization", format!("Bearer {good}")),
            ],
        ),
        (
            "not a token",
            vec![("authorization", "Bearer <script>".to_owned())],
        ),
        (
            "unknown",
            vec![("authorization", format!("Bearer {good}x"))],
        ),
        ("in the query", vec![]),
        (
            "expired",
            vec![("authorization", format!("Bearer {expired}"))],
        ),
        (
            "revoked",
            vec![("authorization", format!("Bearer {revoked}"))],
        ),
    ];
    for (what, headers) in &cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let path = if *what == "in the query" {
            format!("/api/v1/me?access_token={good}")
        } else {
            "/api/v1/me".to_owned()
        };
        let answer = app.browser().get_with_headers(&path, &headers).await;
        assert_unauthorized(&answer, what);
    }
    // The good token still works: nothing above touched it.
    json(&me(&app, &good).await);
}

async fn a_signed_in_browser_gets_nothing_from_the_api(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let browser = app.signed_in_browser().await;
    browser.get("/students").await.assert_status(StatusCode::OK);
    assert_unauthorized(&browser.get("/api/v1/me").await, "a session cookie");
    // Not even with the page's form token beside it.
    let form_token = browser.csrf_token().await;
    let bearer = format!("Bearer {form_token}");
    assert_unauthorized(
        &browser
            .get_with_headers("/api/v1/me", &[("authorization", &bearer)])
            .await,
        "the form token as a bearer token",
    );
}

/// Gives `username` `role`, as `registrar user role` does.
async fn set_role(app: &TestApp, username: &str, role: Role) {
    store::change(
        &app.db,
        &Actor::CommandLine,
        username,
        None,
        Change::Role(role),
    )
    .await
    .expect("the role changed");
}

async fn a_token_acts_with_its_accounts_role_now_capped_by_its_own(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    let uncapped = app.api_token("clerk", None).await;
    let viewer = app.api_token("clerk", Some(Role::Viewer)).await;
    let capped = app.api_token("clerk", Some(Role::Registrar)).await;
    let roles = |page: Page| {
        let body = json(&page);
        assert_eq!(body["username"], "clerk");
        (
            body["role"].as_str().unwrap().to_owned(),
            body["token"]["role"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(roles(me(&app, &uncapped).await), ("registrar".into(), None));
    assert_eq!(
        roles(me(&app, &viewer).await),
        ("viewer".into(), Some("viewer".into()))
    );

    // Promoted: the uncapped token follows, the capped one stays capped.
    set_role(&app, "clerk", Role::Admin).await;
    assert_eq!(roles(me(&app, &uncapped).await).0, "admin");
    assert_eq!(roles(me(&app, &capped).await).0, "registrar");
    // Demoted: every token acts with the new role at once.
    set_role(&app, "clerk", Role::Viewer).await;
    for token in [&uncapped, &viewer, &capped] {
        assert_eq!(roles(me(&app, token).await).0, "viewer");
    }
    // A cap above the account's role is refused.
    let above = tokens::issue(
        &app.db,
        account_id(&app, "clerk").await,
        &Actor::CommandLine,
        &tokens::NewToken {
            name: registrar::domain::TokenName::parse("too much").unwrap(),
            cap: Some(Role::Registrar),
            days: registrar::domain::TokenDays::within(None, 30).unwrap(),
        },
    )
    .await;
    assert!(
        matches!(above, Err(tokens::TokenError::AboveRole(Role::Viewer))),
        "{above:?}"
    );
}

pub async fn account_id(app: &TestApp, username: &str) -> i64 {
    registrar::accounts::find_by_username(&app.db, username)
        .await
        .unwrap()
        .expect("the account")
        .id
}

async fn a_disabled_accounts_tokens_stop_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    let token = app.api_token("clerk", None).await;
    json(&me(&app, &token).await);
    // An admin disables the account on its page.
    let admin = app.signed_in_browser().await;
    let mut form = admin.get("/accounts/clerk").await.form("/accounts/clerk");
    form.choose("enabled", "false");
    form.submit(&admin)
        .await
        .assert_redirect_to("/accounts/clerk");
    assert_unauthorized(&me(&app, &token).await, "a disabled account's token");
    // Enabled again, its tokens work again (revoking ends one for good).
    let mut form = admin.get("/accounts/clerk").await.form("/accounts/clerk");
    form.choose("enabled", "true");
    form.submit(&admin)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    json(&me(&app, &token).await);
}

async fn wrong_tokens_are_throttled_per_address_and_the_sign_in_page_is_not(backend: Backend) {
    let options = AppOptions {
        // Tight on both counters: were wrong tokens counted as failed
        // sign-ins, the sign-in below would be refused.
        throttle: Throttle {
            per_username: 3,
            per_client: 3,
            ..Throttle::default()
        },
        token_throttle: TokenThrottle {
            window: Duration::from_secs(600),
            per_client: 3,
        },
        client_ip_header: Some("x-forwarded-for".to_owned()),
        ..AppOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let good = app.api_token(REGISTRAR, None).await;
    let from = |address: &'static str, token: String| {
        let app = &app;
        async move {
            let bearer = format!("Bearer {token}");
            me_with(
                app,
                &[("authorization", &bearer), ("x-forwarded-for", address)],
            )
            .await
        }
    };
    let nat = "203.0.113.7";
    for _ in 0..3 {
        assert_unauthorized(&from(nat, "rgt_wrong".into()).await, "a wrong token");
    }
    let throttled = from(nat, "rgt_wrong".into()).await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        throttled.body
    );
    let retry: u64 = throttled.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "Retry-After {retry}");
    let problem: Value = serde_json::from_str(&throttled.body).unwrap();
    assert_eq!(problem["type"], "urn:registrar:problem:too-many-requests");
    // Malformed ones are wrong tokens too.
    let malformed = me_with(
        &app,
        &[("authorization", "Bearer"), ("x-forwarded-for", nat)],
    )
    .await;
    assert_eq!(malformed.status, StatusCode::TOO_MANY_REQUESTS);
    // A right token from the same address still gets in...
    json(&from(nat, good.clone()).await);
    // ...and another address has a counter of its own.
    assert_unauthorized(&from("198.51.100.9", "rgt_wrong".into()).await, "elsewhere");
    let counted = api_token_failure::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(
        counted, 4,
        "three from the NAT, one from elsewhere; none past the limit"
    );

    // The sign-in page, from the NAT's address, is untouched.
    let browser = Browser::new(&app.base_url);
    let mut form = browser.get("/login").await.form("/login");
    form.set("username", REGISTRAR).set("password", PASSWORD);
    let body = serde_urlencoded::to_string(form.fields()).unwrap();
    let signed_in = browser
        .post_raw_with_headers(
            "/login",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            &[("x-forwarded-for", nat)],
        )
        .await;
    signed_in.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        login_failure::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}
