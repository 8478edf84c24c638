//! Logging: one line per request (method, path, status, latency, request
//! id) and whatever else happens, filtered by `RUST_LOG`, on standard
//! error for every command: standard output is the commands' own (the
//! CSV of `export`, the one `listening on` line of `serve`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    init_with_default("info,sqlx=warn,sea_orm=warn,tower_http=info");
}

/// Warnings and errors only, unless `RUST_LOG` says otherwise: for apps
/// spawned by tests, whose per-request lines would drown the test output.
pub fn init_quiet() {
    init_with_default("warn");
}

fn init_with_default(directives: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives));
    // A second init (tests spawn many apps in one process) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The span every request is logged in: its method, its path (the path
/// only: queries can hold search text) and its request id.
pub fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}
