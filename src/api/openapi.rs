//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the API,
//! generated from the handlers' own annotations and types (utoipa), never
//! kept by hand. A test holds it to the route table: every API route is in
//! it, with its method, and nothing else is.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::students::{read, write};
use super::{changes, me};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "registrar",
        version = "1",
        description = "Student records under the same guarantee as the forms: every change names the version it was made over (`If-Match`), a stale one is refused with `412` and what changed, and nothing is ever silently overwritten. Errors are `application/problem+json` (RFC 9457)."
    ),
    paths(
        me::me,
        read::list,
        read::show,
        read::history,
        write::create,
        write::patch,
        write::delete,
        changes::changes,
    ),
    modifiers(&Bearer),
    tags(
        (name = "students", description = "Student records"),
        (name = "account", description = "Who the token acts as"),
        (name = "changes", description = "Every committed change, once, in order: the change feed")
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme: an API token from `/account` or
/// `registrar token add`.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token: create one on your account page or with `registrar token add`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON.
pub fn document() -> String {
    let Ok(mut document) = serde_json::to_value(ApiDoc::openapi()) else {
        return String::new();
    };
    name_link_members(&mut document);
    document.to_string()
}

/// utoipa 5.5 writes a Link Object's members in Rust's spelling
/// (`operation_id`, `operation_ref`, `request_body`), which no OpenAPI
/// tool reads (and validators refuse): they are renamed to OpenAPI's
/// (`operationId`, …) in every response's links.
fn name_link_members(document: &mut serde_json::Value) {
    const RENAMED: [(&str, &str); 3] = [
        ("operation_id", "operationId"),
        ("operation_ref", "operationRef"),
        ("request_body", "requestBody"),
    ];
    let Some(paths) = document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let links = paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        .filter_map(|operation| operation.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut())
        .filter_map(|response| response.get_mut("links")?.as_object_mut())
        .flat_map(|links| links.values_mut())
        .filter_map(serde_json::Value::as_object_mut);
    for link in links {
        for (from, to) in RENAMED {
            if let Some(value) = link.remove(from) {
                link.insert(to.to_owned(), value);
            }
        }
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
