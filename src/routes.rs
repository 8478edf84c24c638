//! The route table and the layers every request passes through.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::http::{StatusCode, Uri};
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{MethodRouter, delete, get, patch, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::access;
use crate::accounts::{admin, admin_identity, own};
use crate::api;
use crate::api::students as api_students;
use crate::api_tokens::pages as tokens;
use crate::assets;
use crate::auth::roles::{self, Access};
use crate::auth::{handlers as auth, sessions};
use crate::domain::Role;
use crate::health::healthz;
use crate::http::cookie::SecureCookies;
use crate::http::flash;
use crate::http::form::MAX_FORM_BYTES;
use crate::http::request;
use crate::http::{headers, unserved};
use crate::kept;
use crate::kept::intercept::{RecordForm, intercept};
use crate::metrics::Metrics;
use crate::oidc::handlers as oidc;
use crate::state::AppState;
use crate::students::import::handlers as uploads;
use crate::students::record::{read as pages, restore, write as actions};
use crate::students::{changes, export, history, list};

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

/// Every route of the application; with `metrics`, each request is
/// counted and timed there (outside every other layer, so that what is
/// counted is what the client got).
pub fn router(state: AppState, request_timeout: Duration, metrics: Option<Arc<Metrics>>) -> Router {
    let mut routes = Router::new();
    for (spec, handler) in entries() {
        // Layers run outside in: the session is read, then (on a record
        // form's route) a form an ended session posted is kept, then the
        // access checked.
        let mut handler = match spec.access {
            Access::Api(role) => handler.route_layer(middleware::from_fn_with_state(
                api::caller::Gate {
                    state: state.clone(),
                    role,
                },
                api::caller::guard,
            )),
            access => handler.route_layer(middleware::from_fn_with_state(access, roles::guard)),
        };
        if let Some(action) = kept::form::of_route(&spec.method, spec.path) {
            let form = RecordForm {
                state: state.clone(),
                action,
            };
            handler = handler.route_layer(middleware::from_fn_with_state(form, intercept));
        }
        if spec.access.reads_session() {
            handler = handler
                .route_layer(middleware::from_fn(sessions::navigable_errors))
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    sessions::load,
                ));
        }
        // Outermost: the request timeout (and a feed reader's wait).
        let limit = request_timeout + api::changes::long_poll(&spec.method, spec.path);
        let timeout = TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limit);
        routes = routes.route(spec.path, handler.route_layer(timeout));
    }

    let app = routes
        .fallback(|uri: Uri| async move { unserved::not_served(&uri, StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(|uri: Uri| async move {
            unserved::not_served(&uri, StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(middleware::from_fn_with_state(
            SecureCookies(state.auth.secure_cookies),
            flash::carry,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(CatchPanicLayer::custom(unserved::handler_panicked))
        // A second line against forgery, besides the form tokens: browsers
        // say where a request comes from (`Sec-Fetch-Site`, `Origin`), and
        // cross-site posts are refused before any handler runs.
        .layer(CsrfLayer::new())
        .layer(middleware::from_fn(request::one_host))
        .layer(middleware::from_fn(unserved::pages_for_bare_errors));
    let app = headers::with_security_headers(app)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(crate::telemetry::request_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(request::fresh_request_id));
    match metrics {
        Some(metrics) => app.layer(middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        )),
        None => app,
    }
}
