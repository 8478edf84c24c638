//! Roles (contract §9): every route answers every role as the route table
//! says, and a request beyond the role changes nothing.

use axum::http::{Method, StatusCode};
use registrar::accounts::changes::Actor;
use registrar::accounts::{self, NewAccount};
use registrar::auth::password;
use registrar::auth::roles::Access;
use registrar::db::entities::{account_change, registrar as account, revision, session, student};
use registrar::domain::Role;
use registrar::domain::{NewPassword, Username};
use registrar::routes::{self, RouteSpec};
use registrar::testing::{Backend, Browser, PASSWORD, REGISTRAR, TestApp};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};

use crate::{on_every_backend, spawn_app};

on_every_backend!(
    every_route_answers_every_role_as_the_table_says,
    viewer_posts_change_nothing,
    pages_offer_only_what_the_role_may_do,
);

/// Creates an account with `role` straight in the database.
pub async fn create_account(app: &TestApp, username: &str, password: &str, role: Role) {
    let username = Username::parse(username).expect("a valid username");
    let hash = password::hash(&NewPassword::parse(password).expect("a valid password"))
        .await
        .expect("hashing");
    let account = NewAccount {
        username: &username,
        password_hash: hash,
        role,
        must_change_password: false,
    };
    accounts::create_account(&app.db, &account, &Actor::CommandLine)
        .await
        .expect("creating the account");
}

pub const VIEWER: &str = "vera";
pub const CLERK: &str = "clerk";
pub const OTHER_PASSWORD: &str = "another long password";

/// Who asks: nobody signed in, or an account of each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asker {
    Anonymous,
    Signed(Role),
}

impl Asker {
    const ALL: [Asker; 4] = [
        Asker::Anonymous,
        Asker::Signed(Role::Viewer),
        Asker::Signed(Role::Registrar),
        Asker::Signed(Role::Admin),
    ];

    async fn browser(self, app: &TestApp) -> Browser {
        match self {
            Asker::Anonymous => app.browser(),
            Asker::Signed(Role::Viewer) => app.signed_in_as(VIEWER, OTHER_PASSWORD).await,
            Asker::Signed(Role::Registrar) => app.signed_in_as(CLERK, OTHER_PASSWORD).await,
            Asker::Signed(Role::Admin) => app.signed_in_as(REGISTRAR, PASSWORD).await,
        }
    }
}

/// Every route this test knows and the access it expects. A route added to
/// the app without being added here fails the test: its access must be
/// decided, not inherited.
fn expected() -> Vec<(Method, &'static str, Access)> {
    use Access::{Anyone, SignedIn, Visitor};
    let viewer = Access::Role(Role::Viewer);
    let registrar = Access::Role(Role::Registrar);
    let admin = Access::Role(Role::Admin);
    let (api_viewer, api_registrar) = (Access::Api(Role::Viewer), Access::Api(Role::Registrar));
    let (get, post) = (Method::GET, Method::POST);
    vec![
        (get.clone(), "/", Anyone),
        (get.clone(), "/healthz", Anyone),
        (get.clone(), "/static/{file}", Anyone),
        (get.clone(), "/login", Visitor),
        (post.clone(), "/login", Visitor),
        (get.clone(), "/login/two-factor", Visitor),
        (post.clone(), "/login/two-factor", Visitor),
        (post.clone(), "/logout", Visitor),
        (get.clone(), "/login/oidc", Visitor),
        (get.clone(), "/login/oidc/callback", Visitor),
        (get.clone(), "/setup", Visitor),
        (post.clone(), "/setup", Visitor),
        (get.clone(), "/students", viewer),
        (post.clone(), "/students", registrar),
        (get.clone(), "/students.csv", viewer),
        (get.clone(), "/students/new", registrar),
        (get.clone(), "/students/{id}", viewer),
        (post.clone(), "/students/{id}", registrar),
        (get.clone(), "/students/{id}/edit", registrar),
        (get.clone(), "/students/{id}/history", viewer),
        (get.clone(), "/students/{id}/delete", registrar),
        (post.clone(), "/students/{id}/delete", registrar),
        (post.clone(), "/students/{id}/restore", registrar),
        (post.clone(), "/students/{id}/undelete", registrar),
        (get.clone(), "/changes", viewer),
        (get.clone(), "/changes.csv", viewer),
        (get.clone(), "/students/import", registrar),
        (post.clone(), "/students/import", registrar),
        (get.clone(), "/students/import/{id}", registrar),
        (post.clone(), "/students/import/{id}", registrar),
        (get.clone(), "/students/import/{id}/refused.csv", registrar),
        (
            get.clone(),
            "/students/import/{id}/rows/{seq}/merge",
            registrar,
        ),
        (get.clone(), "/audit/access", admin),
        (get.clone(), "/audit/access.csv", admin),
        (get.clone(), "/accounts", admin),
        (post.clone(), "/accounts", admin),
        (get.clone(), "/accounts/new", admin),
        (get.clone(), "/accounts/{username}", admin),
        (post.clone(), "/accounts/{username}", admin),
        (post.clone(), "/accounts/{username}/password", admin),
        (post.clone(), "/accounts/{username}/identity", admin),
        (get.clone(), "/account", SignedIn),
        (post.clone(), "/account/password", SignedIn),
        (get.clone(), "/account/two-factor", SignedIn),
        (post.clone(), "/account/two-factor", SignedIn),
        (post.clone(), "/account/two-factor/disable", SignedIn),
        (post.clone(), "/accounts/{username}/two-factor/reset", admin),
        (post.clone(), "/account/sessions/{session}/end", SignedIn),
        (post.clone(), "/account/sessions/end-others", SignedIn),
        (post.clone(), "/account/tokens", viewer),
        (post.clone(), "/account/tokens/{token}/revoke", SignedIn),
        (
            post.clone(),
            "/accounts/{username}/tokens/{token}/revoke",
            admin,
        ),
        (get.clone(), "/api/v1/openapi.json", Anyone),
        (get.clone(), "/api/v1/students", api_viewer),
        (post.clone(), "/api/v1/students", api_registrar),
        (get.clone(), "/api/v1/students/{id}", api_viewer),
        (Method::PATCH, "/api/v1/students/{id}", api_registrar),
        (Method::DELETE, "/api/v1/students/{id}", api_registrar),
        (get.clone(), "/api/v1/students/{id}/history", api_viewer),
        (get.clone(), "/api/v1/me", api_viewer),
        (get.clone(), "/api/v1/changes", api_viewer),
        (get, "/account/kept/{id}", viewer),
        (post, "/account/kept/{id}/discard", viewer),
    ]
}

/// `path` with its parameters filled in.
fn concrete(path: &str, student_id: i64) -> String {
    path.replace("{id}", &student_id.to_string())
        .replace("{file}", "app.css")
        .replace("{username}", VIEWER)
        .replace("{session}", "0000000000000000")
        .replace("{token}", "1")
}

/// What must hold for `asker` on a route with `access`.
fn check(spec: &RouteSpec, asker: Asker, answer: &registrar::testing::Page) {
    let what = format!("{} {} as {asker:?}", spec.method, spec.path);
    let to_login = answer
        .location()
        .is_some_and(|l| l == "/login" || l.starts_with("/login?next="));
    match (spec.access, asker) {
        // The API takes a bearer token, never the session: a browser,
        // signed in or not, is `401`.
        (Access::Api(_), _) => {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}");
        }
        (Access::Anyone | Access::Visitor, _) => {
            assert_ne!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{what}: {}",
                answer.body
            );
        }
        (_, Asker::Anonymous) => {
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{what}");
            assert!(to_login, "{what} leads to {:?}", answer.location());
        }
        (access, Asker::Signed(role)) if access.allows(role) => {
            assert_ne!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{what}: {}",
                answer.body
            );
            assert!(!to_login, "{what} was sent to sign in");
            assert!(
                !answer.status.is_server_error(),
                "{what}: {}",
                answer.status
            );
        }
        (_, Asker::Signed(role)) => {
            answer.assert_status(StatusCode::FORBIDDEN);
            let message = answer.text("main").unwrap_or_default();
            assert!(
                message.contains("Not allowed") && message.contains(role.as_str()),
                "{what}: {message}"
            );
        }
    }
}

async fn every_route_answers_every_role_as_the_table_says(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    create_account(&app, CLERK, OTHER_PASSWORD, Role::Registrar).await;
    let admin = app.signed_in_browser().await;
    let student_id = app.create_student(&admin, "Ada", "1 Main St", "3.5").await;

    // The app's table and this test's agree, both ways.
    let table = routes::table();
    let expected = expected();
    for spec in &table {
        assert!(
            expected
                .iter()
                .any(|(m, p, a)| *m == spec.method && *p == spec.path && *a == spec.access),
            "route {} {} ({:?}) is not in this test's table: decide who may use it",
            spec.method,
            spec.path,
            spec.access
        );
    }
    assert_eq!(table.len(), expected.len(), "a route of this test is gone");

    let mut checked = 0;
    for asker in Asker::ALL {
        let browser = asker.browser(&app).await;
        let token = browser.csrf_token().await;
        for spec in &table {
            let path = concrete(spec.path, student_id);
            let answer = if spec.method == Method::GET {
                browser.get(&path).await
            } else if spec.method != Method::POST {
                // The API's PATCH and DELETE, with the session's cookie.
                browser.send(spec.method.clone(), &path, &[], None).await
            } else if spec.path == "/logout" {
                // Signing out would end the browser used for the others.
                let own = asker.browser(&app).await;
                let own_token = own.csrf_token().await;
                own.post_form(&path, &[("csrf_token", &own_token)]).await
            } else {
                browser.post_form(&path, &[("csrf_token", &token)]).await
            };
            check(spec, asker, &answer);
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * table.len());
    // The viewer's account, which the admin routes were aimed at, is as it was.
    let vera = accounts::find_by_username(&app.db, VIEWER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((vera.role, vera.version), (Role::Viewer, 1));
    assert!(vera.disabled_at.is_none());
}

/// Everything a viewer's POST could have changed.
async fn snapshot(db: &DatabaseConnection) -> (Vec<student::Model>, u64, Vec<account::Model>, u64) {
    let students = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(db)
        .await
        .unwrap();
    let revisions = revision::Entity::find().count(db).await.unwrap();
    let mut accounts = account::Entity::find()
        .order_by_asc(account::Column::Id)
        .all(db)
        .await
        .unwrap();
    for account in &mut accounts {
        account.last_sign_in_at = None;
    }
    let changes = account_change::Entity::find().count(db).await.unwrap();
    (students, revisions, accounts, changes)
}

async fn viewer_posts_change_nothing(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let admin = app.signed_in_browser().await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3.5").await;
    let viewer = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;
    // A viewer reads everything a registrar reads...
    for path in [
        "/students".to_owned(),
        format!("/students/{id}"),
        format!("/students/{id}/history"),
        "/students.csv".to_owned(),
        "/changes".to_owned(),
        "/changes.csv".to_owned(),
    ] {
        viewer.get(&path).await.assert_status(StatusCode::OK);
    }
    let before = snapshot(&app.db).await;
    let path = format!("/students/{id}");
    let vera_path = format!("/accounts/{VIEWER}");
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/students".into(),
            vec![("name", "Eve"), ("address", "2 Elm St"), ("gpa", "4")],
        ),
        (
            path.clone(),
            vec![
                ("name", "Eve"),
                ("address", "2 Elm St"),
                ("gpa", "4"),
                ("version", "1"),
            ],
        ),
        (format!("{path}/delete"), vec![("version", "1")]),
        (
            "/accounts".into(),
            vec![
                ("username", "mallory"),
                ("role", "admin"),
                ("password", "a long password"),
            ],
        ),
        // Promoting oneself.
        (
            vera_path.clone(),
            vec![("role", "admin"), ("enabled", "true"), ("version", "1")],
        ),
        (
            format!("/accounts/{REGISTRAR}"),
            vec![("role", "viewer"), ("enabled", "false"), ("version", "1")],
        ),
        (
            format!("/accounts/{REGISTRAR}/password"),
            vec![("password", "a password I chose"), ("version", "1")],
        ),
    ];
    for (target, fields) in attempts {
        let answer = viewer.post_with_token(&target, &fields).await;
        answer.assert_status(StatusCode::FORBIDDEN);
    }
    let token = viewer.csrf_token().await;
    viewer
        .post_multipart(
            "/students/import",
            &[("csrf_token", &token)],
            Some((
                "file",
                "students.csv",
                b"name,address,gpa\nEve,2 Elm St,4\n".to_vec(),
            )),
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(
        snapshot(&app.db).await,
        before,
        "a viewer's posts changed something"
    );
    // The admin's sessions survived the viewer's attempt to disable them.
    assert!(session::Entity::find().count(&app.db).await.unwrap() >= 2);
    admin.get("/accounts").await.assert_status(StatusCode::OK);
}

async fn pages_offer_only_what_the_role_may_do(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    create_account(&app, CLERK, OTHER_PASSWORD, Role::Registrar).await;
    let admin = app.signed_in_browser().await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3.5").await;
    let offers = |page: &registrar::testing::Page, href: &str| {
        page.href(&format!("a[href=\"{href}\"]")).is_some()
    };
    let edit = format!("/students/{id}/edit");
    for (browser, role) in [
        (app.signed_in_as(VIEWER, OTHER_PASSWORD).await, Role::Viewer),
        (
            app.signed_in_as(CLERK, OTHER_PASSWORD).await,
            Role::Registrar,
        ),
        (admin, Role::Admin),
    ] {
        let list = browser.get("/students").await;
        list.assert_status(StatusCode::OK);
        assert_eq!(
            offers(&list, "/students/new"),
            role >= Role::Registrar,
            "{role}"
        );
        assert_eq!(
            offers(&list, "/students/import"),
            role >= Role::Registrar,
            "{role}"
        );
        assert_eq!(offers(&list, "/accounts"), role == Role::Admin, "{role}");
        assert!(offers(&list, "/account"), "{role}");
        let show = browser.get(&format!("/students/{id}")).await;
        assert_eq!(offers(&show, &edit), role >= Role::Registrar, "{role}");
        // Delete is a step of its own: the record page links to it.
        let delete = format!("/students/{id}/delete");
        assert_eq!(offers(&show, &delete), role >= Role::Registrar, "{role}");
        assert!(
            !show.forms().iter().any(|f| f.action == delete),
            "{role}: the record page deletes nothing at once"
        );
    }
}
