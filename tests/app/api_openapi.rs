//! `GET /api/v1/openapi.json` (contract §13): an OpenAPI 3.1 document,
//! served without a token, that names every API route of the route table
//! with its method, and nothing else.

use std::collections::BTreeSet;

use registrar::routes::table;
use registrar::testing::{ApiClient, Backend};
use reqwest::StatusCode;

use crate::{on_every_backend, spawn_app};

on_every_backend!(the_openapi_document_names_every_api_route);

async fn the_openapi_document_names_every_api_route(backend: Backend) {
    let app = spawn_app!(backend);
    let answer = ApiClient::new(&app.base_url, None)
        .get("/api/v1/openapi.json")
        .await;
    answer.assert_status(StatusCode::OK);
    let doc = answer.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| !matches!(key.as_str(), "parameters" | "summary" | "description"))
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = table()
        .into_iter()
        .filter(|spec| spec.path.starts_with("/api/v1/") && spec.path != "/api/v1/openapi.json")
        .map(|spec| (spec.method.to_string(), spec.path.to_owned()))
        .collect();
    assert_eq!(documented, routed);
    for (method, path) in &routed {
        let operation = &doc["paths"][path][method.to_lowercase()];
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.contains_key("401"),
            "{method} {path} documents no 401"
        );
        assert!(
            operation["security"].is_array(),
            "{method} {path} names no security"
        );
    }
}
