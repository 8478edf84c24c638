//! The route table; the layers every request passes through are
//! [`layers`]'.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::response::Redirect;
use axum::routing::{MethodRouter, delete, get, patch, post};

use crate::access;
use crate::accounts::{admin, admin_identity, own};
use crate::api;
use crate::api::students as api_students;
use crate::api_tokens::pages as tokens;
use crate::assets;
use crate::auth::handlers as auth;
use crate::auth::roles::Access;
use crate::domain::Role;
use crate::health::healthz;
use crate::kept;
use crate::oidc::handlers as oidc;
use crate::state::AppState;
use crate::students::import::handlers as uploads;
use crate::students::record::{read as pages, restore, write as actions};
use crate::students::{changes, export, history, list};
use crate::two_factor;

mod layers;

pub use layers::router;

/// A route and who may use it (contract §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Every route: its method, path, who may use it, and its handler. The
/// router is built from this list alone, so a route cannot exist without
/// stating its access.
fn entries() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::{Anyone, SignedIn, Visitor};
    const VIEWER: Access = Access::Role(Role::Viewer);
    const REGISTRAR: Access = Access::Role(Role::Registrar);
    const ADMIN: Access = Access::Role(Role::Admin);
    const API_VIEWER: Access = Access::Api(Role::Viewer);
    const API_REGISTRAR: Access = Access::Api(Role::Registrar);
    let entry = |method: Method, path, access, handler| {
        (
            RouteSpec {
                method,
                path,
                access,
            },
            handler,
        )
    };
    vec![
        entry(
            Method::GET,
            "/",
            Anyone,
            get(|| async { Redirect::to("/students") }),
        ),
        entry(Method::GET, "/healthz", Anyone, get(healthz)),
        entry(Method::GET, "/static/{file}", Anyone, get(assets::serve)),
        entry(Method::GET, "/login", Visitor, get(auth::login_form)),
        entry(Method::POST, "/login", Visitor, post(auth::login)),
        entry(Method::POST, "/logout", Visitor, post(auth::logout)),
        entry(
            Method::GET,
            "/login/two-factor",
            Visitor,
            get(two_factor::sign_in::form),
        ),
        entry(
            Method::POST,
            "/login/two-factor",
            Visitor,
            post(two_factor::sign_in::submit),
        ),
        entry(Method::GET, "/login/oidc", Visitor, get(oidc::start)),
        entry(
            Method::GET,
            "/login/oidc/callback",
            Visitor,
            get(oidc::callback),
        ),
        entry(Method::GET, "/setup", Visitor, get(auth::setup_form)),
        entry(Method::POST, "/setup", Visitor, post(auth::setup)),
        entry(Method::GET, "/students", VIEWER, get(list::list)),
        entry(Method::POST, "/students", REGISTRAR, post(actions::create)),
        entry(Method::GET, "/students.csv", VIEWER, get(export::export)),
        entry(
            Method::GET,
            "/students/new",
            REGISTRAR,
            get(pages::new_form),
        ),
        entry(Method::GET, "/students/{id}", VIEWER, get(pages::show)),
        entry(
            Method::POST,
            "/students/{id}",
            REGISTRAR,
            post(actions::update),
        ),
        entry(
            Method::GET,
            "/students/{id}/edit",
            REGISTRAR,
            get(pages::edit_form),
        ),
        entry(
            Method::GET,
            "/students/{id}/history",
            VIEWER,
            get(history::history),
        ),
        entry(
            Method::GET,
            "/students/{id}/delete",
            REGISTRAR,
            get(pages::delete_form),
        ),
        entry(
            Method::POST,
            "/students/{id}/delete",
            REGISTRAR,
            post(actions::delete),
        ),
        entry(
            Method::POST,
            "/students/{id}/restore",
            REGISTRAR,
            post(restore::restore),
        ),
        entry(
            Method::POST,
            "/students/{id}/undelete",
            REGISTRAR,
            post(restore::undelete),
        ),
        entry(Method::GET, "/changes", VIEWER, get(changes::log)),
        entry(Method::GET, "/changes.csv", VIEWER, get(changes::log_csv)),
        entry(
            Method::GET,
            "/students/import",
            REGISTRAR,
            get(uploads::upload_form),
        ),
        entry(
            Method::POST,
            "/students/import",
            REGISTRAR,
            post(uploads::upload).layer(DefaultBodyLimit::max(
                uploads::MAX_UPLOAD_BYTES + uploads::MAX_FRAMING_BYTES,
            )),
        ),
        entry(
            Method::GET,
            "/students/import/{id}",
            REGISTRAR,
            get(uploads::show),
        ),
        entry(
            Method::GET,
            "/students/import/{id}/refused.csv",
            REGISTRAR,
            get(uploads::refused_csv),
        ),
        entry(
            Method::GET,
            "/students/import/{id}/rows/{seq}/merge",
            REGISTRAR,
            get(uploads::merge),
        ),
        entry(
            Method::POST,
            "/students/import/{id}",
            REGISTRAR,
            post(uploads::confirm),
        ),
        entry(Method::GET, "/audit/access", ADMIN, get(access::pages::log)),
        entry(
            Method::GET,
            "/audit/access.csv",
            ADMIN,
            get(access::csv::log_csv),
        ),
        entry(
            Method::GET,
            "/api/v1/openapi.json",
            Anyone,
            get(api::openapi::serve),
        ),
        entry(
            Method::GET,
            "/api/v1/students",
            API_VIEWER,
            get(api_students::read::list),
        ),
        entry(
            Method::POST,
            "/api/v1/students",
            API_REGISTRAR,
            post(api_students::write::create),
        ),
        entry(
            Method::GET,
            "/api/v1/students/{id}",
            API_VIEWER,
            get(api_students::read::show),
        ),
        entry(
            Method::PATCH,
            "/api/v1/students/{id}",
            API_REGISTRAR,
            patch(api_students::write::patch),
        ),
        entry(
            Method::DELETE,
            "/api/v1/students/{id}",
            API_REGISTRAR,
            delete(api_students::write::delete),
        ),
        entry(
            Method::GET,
            "/api/v1/students/{id}/history",
            API_VIEWER,
            get(api_students::read::history),
        ),
        entry(
            Method::GET,
            api::changes::PATH,
            API_VIEWER,
            get(api::changes::changes),
        ),
        entry(Method::GET, "/accounts", ADMIN, get(admin::list)),
        entry(Method::POST, "/accounts", ADMIN, post(admin::create)),
        entry(Method::GET, "/accounts/new", ADMIN, get(admin::new_form)),
        entry(Method::GET, "/accounts/{username}", ADMIN, get(admin::show)),
        entry(
            Method::POST,
            "/accounts/{username}",
            ADMIN,
            post(admin::update),
        ),
        entry(
            Method::POST,
            "/accounts/{username}/password",
            ADMIN,
            post(admin::set_password),
        ),
        entry(
            Method::POST,
            "/accounts/{username}/identity",
            ADMIN,
            post(admin_identity::link),
        ),
        entry(Method::GET, "/account", SignedIn, get(own::show)),
        entry(
            Method::POST,
            "/account/password",
            SignedIn,
            post(own::change_password),
        ),
        entry(
            Method::POST,
            "/account/sessions/{session}/end",
            SignedIn,
            post(own::end_session),
        ),
        entry(
            Method::POST,
            "/account/sessions/end-others",
            SignedIn,
            post(own::end_others),
        ),
        entry(
            Method::GET,
            "/account/two-factor",
            SignedIn,
            get(two_factor::enrol::show),
        ),
        entry(
            Method::POST,
            "/account/two-factor",
            SignedIn,
            post(two_factor::enrol::confirm),
        ),
        entry(
            Method::POST,
            "/account/two-factor/disable",
            SignedIn,
            post(two_factor::enrol::disable),
        ),
        entry(
            Method::POST,
            "/accounts/{username}/two-factor/reset",
            ADMIN,
            post(two_factor::enrol::reset),
        ),
        entry(Method::GET, "/api/v1/me", API_VIEWER, get(api::me::me)),
        entry(
            Method::POST,
            "/account/tokens",
            VIEWER,
            post(tokens::create),
        ),
        entry(
            Method::POST,
            "/account/tokens/{token}/revoke",
            SignedIn,
            post(tokens::revoke_own),
        ),
        entry(
            Method::POST,
            "/accounts/{username}/tokens/{token}/revoke",
            ADMIN,
            post(tokens::revoke_for),
        ),
        entry(
            Method::GET,
            "/account/kept/{id}",
            VIEWER,
            get(kept::pages::show),
        ),
        entry(
            Method::POST,
            "/account/kept/{id}/discard",
            VIEWER,
            post(kept::pages::discard),
        ),
    ]
}

/// Every route and who may use it.
pub fn table() -> Vec<RouteSpec> {
    entries().into_iter().map(|(spec, _)| spec).collect()
}
