//! `GET /api/v1/openapi.json` (contract §13): an OpenAPI 3.1 document,
//! served without a token, that names every API route of the route table
//! with its method, and nothing else.

use std::collections::BTreeSet;

use registrar::routes::table;
use registrar::testing::{ApiClient, Backend};
use reqwest::StatusCode;

use crate::{on_every_backend, spawn_app};

on_every_backend!(
    the_openapi_document_names_every_api_route,
    the_documents_answers_and_links_are_well_formed,
);

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

/// What a generic client reads from the document: every error answer is a
/// problem (`application/problem+json`), `204` and `304` have no body, and
/// every link names an operation of the document (`operationId`, as OpenAPI
/// spells it) and parameters that operation has.
async fn the_documents_answers_and_links_are_well_formed(backend: Backend) {
    let app = spawn_app!(backend);
    let doc = ApiClient::new(&app.base_url, None)
        .get("/api/v1/openapi.json")
        .await
        .json();
    let operations: Vec<(&String, &serde_json::Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().iter())
        .collect();
    let by_id = |id: &str| {
        operations
            .iter()
            .map(|(_, operation)| *operation)
            .find(|operation| operation["operationId"] == id)
    };
    // A response said once for every operation (the token gate's `401`,
    // `429`, `503`) is a reference to the document's shared responses.
    let resolve = |response: &'_ serde_json::Value| -> serde_json::Value {
        match response["$ref"].as_str() {
            Some(reference) => {
                let name = reference
                    .strip_prefix("#/components/responses/")
                    .unwrap_or_else(|| panic!("a reference to a shared response: {reference}"));
                doc["components"]["responses"][name].clone()
            }
            None => response.clone(),
        }
    };
    let mut links = 0;
    for (method, operation) in &operations {
        let name = format!("{method} {}", operation["operationId"]);
        for (status, header) in [
            ("401", "WWW-Authenticate"),
            ("429", "Retry-After"),
            ("503", "Retry-After"),
        ] {
            let response = resolve(&operation["responses"][status]);
            assert!(response["description"].is_string(), "{name} {status}");
            assert!(
                response["headers"][header]["schema"].is_object(),
                "{name} {status} says its {header}"
            );
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            let response = &resolve(response);
            let content = response["content"].as_object();
            match status.as_str() {
                "204" | "304" => assert!(content.is_none(), "{name} {status} has a body"),
                _ if status.starts_with('4') || status.starts_with('5') => {
                    let types: Vec<&String> = content.unwrap().keys().collect();
                    assert_eq!(types, ["application/problem+json"], "{name} {status}");
                }
                _ => {
                    let types: Vec<&String> = content.unwrap().keys().collect();
                    assert_eq!(types, ["application/json"], "{name} {status}");
                }
            }
            for (link_name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let target = link["operationId"]
                    .as_str()
                    .and_then(by_id)
                    .unwrap_or_else(|| panic!("{name} {status} {link_name}: {link}"));
                for parameter in link["parameters"].as_object().unwrap().keys() {
                    let (location, parameter) = parameter.split_once('.').unwrap();
                    let known = target["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["in"] == location && p["name"] == parameter);
                    assert!(
                        known,
                        "{name} {status} {link_name}: no {location} {parameter}"
                    );
                }
            }
        }
    }
    assert!(links >= 10, "{links} links");
}
