//! Static assets, compiled into the binary so that it runs from any
//! directory; served under `/static/` with cache headers.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

const FILES: &[(&str, &str, &[u8])] = &[(
    "app.css",
    "text/css; charset=utf-8",
    include_bytes!("../static/app.css"),
)];

/// `GET /static/{file}`
pub async fn serve(
    file: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let Ok(axum::extract::Path(file)) = file else {
        return AppError::NotFound.into_response();
    };
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            *body,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
