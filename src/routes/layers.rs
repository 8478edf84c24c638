//! The layers every request passes through, around the route table of
//! [`super`]: the session read, the role checked, a kept form intercepted,
//! the timeout, and outside them forgery checks, security headers, request
//! ids, tracing and metrics.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::middleware;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::entries;
use crate::api;
use crate::auth::roles::{self, Access};
use crate::auth::sessions;
use crate::http::cookie::SecureCookies;
use crate::http::flash;
use crate::http::form::MAX_FORM_BYTES;
use crate::http::request;
use crate::http::{headers, unserved};
use crate::kept;
use crate::kept::intercept::{RecordForm, intercept};
use crate::metrics::Metrics;
use crate::state::AppState;

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
