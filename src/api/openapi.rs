//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the API,
//! generated from the handlers' own annotations and types (utoipa), never
//! kept by hand. A test holds it to the route table: every API route is in
//! it, with its method, and nothing else is.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::RefOr;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response as ResponseDoc, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Ref, Type};
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
    modifiers(&Bearer, &Gate),
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

/// What the token gate in front of every operation may answer, said once
/// as shared responses and named by every operation: `401` (no valid
/// token), `429` (too many wrong tokens from the address) and `503` (the
/// database did not answer in time; an operation that says more about its
/// own `503` keeps its own).
struct Gate;

impl Gate {
    const SHARED: [(&'static str, &'static str); 3] = [
        ("401", "Unauthorized"),
        ("429", "TooManyRequests"),
        ("503", "Unavailable"),
    ];

    fn problem(description: &str, header: (&str, Type, &str)) -> ResponseDoc {
        let (name, kind, said) = header;
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .header(
                name,
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(kind))
                    .description(Some(said))
                    .build(),
            )
            .build()
    }
}

impl Modify for Gate {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let retry_after = ("Retry-After", Type::Integer, "Seconds to wait");
        for (name, response) in [
            (
                "Unauthorized",
                Self::problem(
                    "No valid bearer token: missing, unknown, expired, revoked, or its account disabled",
                    ("WWW-Authenticate", Type::String, "`Bearer`"),
                ),
            ),
            (
                "TooManyRequests",
                Self::problem(
                    "Too many wrong tokens from this address",
                    retry_after.clone(),
                ),
            ),
            (
                "Unavailable",
                Self::problem("The database did not answer in time", retry_after),
            ),
        ] {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
        });
        for operation in operations {
            for (status, name) in Self::SHARED {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
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
