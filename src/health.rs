//! `GET /healthz`: the process answers and the database is reachable.

use axum::extract::State;
use axum::http::StatusCode;

use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
