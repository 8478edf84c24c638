//! The headers every answer carries, ours and hyper's own alike.

use axum::http::header;

/// Headers every response carries (docs/contract.md §4): no script at all, no framing,
/// no type sniffing, no full URLs leaked to other sites. Pages show
/// personal data: not kept in caches, not shown again by Back after signing
/// out (static assets set their own `Cache-Control`).
pub const SECURITY_HEADERS: [(header::HeaderName, &str); 5] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];
