//! The API contract seen from outside: `/openapi.json` describes exactly the routes served, the
//! capability gate and the bearer layer follow the same declarations, and every operation
//! declares its answers with schemas.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// `path` with each parameter filled with a value of the right shape.
fn concrete(path: &str) -> String {
    path.replace("{key}", &player(1).public_key().to_string())
        .replace("{match_id}", &"ab".repeat(32))
        .replace("{code}", "ABCDEF")
        .replace("{game_id}", "1")
        .replace("{id}", "1")
}

async fn call(server: &Server, method: &str, path: &str) -> (u16, Value) {
    let url = format!("{}{}", server.url, concrete(path));
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let response = server.http.request(method, &url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Every capability on, so that every route of every group is served.
fn everything(backend: Backend) -> String {
    format!(
        "{TEST_LIMITS}[capabilities]\npreset = \"competitive\"\n{}",
        backend.storage()
    )
}

async fn a_disabled_capability_answers_404_capability_disabled(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{TEST_LIMITS}[capabilities]\npreset = \"minimal\"\n");
    let server = Server::start(dir.path(), &format!("{}{}", &config, backend.storage()));
    let document = server.document().await;
    assert_eq!(document["capabilities"], json!(["relay"]));
    let (status, body) = server.post_bytes("/v1/matches", vec![1]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("capability_disabled"))
    );
    let (status, body) = server.get("/v1/leaderboard", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("capability_disabled"))
    );
    let (_, openapi) = server.get("/openapi.json", None).await;
    assert!(openapi["paths"]["/v1/matches"].is_null());
    let (_, metrics) = server.get("/metrics", None).await;
    assert!(
        !metrics
            .as_str()
            .unwrap()
            .contains("ic_records_issued_total{")
    );
}

async fn openapi_lists_exactly_the_served_routes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &everything(backend));
    let (_, openapi) = server.get("/openapi.json", None).await;
    assert_eq!(openapi["openapi"], "3.1.0");
    let paths = openapi["paths"].as_object().unwrap();
    assert!(paths.len() > 50, "only {} paths documented", paths.len());
    for (path, operations) in paths {
        let documented: BTreeSet<&str> = operations
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for method in METHODS {
            let (status, body) = call(&server, method, path).await;
            if documented.contains(method) {
                assert!(
                    !(status == 404 && body["error"] == "not_found") && status != 405,
                    "{method} {path} is documented but not routed ({status} {body})"
                );
            } else {
                assert_eq!(
                    (status, body["error"].as_str()),
                    (405, Some("method_not_allowed")),
                    "{method} {path} is served but not documented"
                );
            }
        }
    }
}

async fn a_capability_switched_off_takes_exactly_its_documented_routes_away(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let full = Server::start(dir.path(), &everything(backend));
    let (_, all) = full.get("/openapi.json", None).await;
    drop(full);
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{TEST_LIMITS}[capabilities]\npreset = \"minimal\"\n");
    let server = Server::start(dir.path(), &format!("{config}{}", backend.storage()));
    let (_, served) = server.get("/openapi.json", None).await;
    let served = served["paths"].as_object().unwrap();
    let mut removed = 0;
    for (path, operations) in all["paths"].as_object().unwrap() {
        if served.contains_key(path) {
            continue;
        }
        removed += 1;
        for method in operations.as_object().unwrap().keys() {
            let (status, body) = call(&server, method, path).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (404, Some("capability_disabled")),
                "{method} {path} on a relay-only server"
            );
        }
    }
    assert!(
        removed > 40,
        "only {removed} paths left out of the relay-only document"
    );
    assert!(served.contains_key("/health") && served.contains_key("/v1/rooms"));
}

async fn every_operation_declares_its_answers_and_the_bearer_layer_follows_it(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &everything(backend));
    let (_, openapi) = server.get("/openapi.json", None).await;
    let schemas = openapi["components"]["schemas"].as_object().unwrap();
    let codes = schemas["ErrorBody"]["properties"]["error"]["enum"]
        .as_array()
        .unwrap();
    for code in [
        "not_found",
        "unauthorized",
        "rate_limited",
        "capability_disabled",
    ] {
        assert!(
            codes.contains(&json!(code)),
            "{code} missing from the error codes"
        );
    }
    let mut operation_ids = BTreeSet::new();
    for (path, operations) in openapi["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(operation_ids.insert(id.to_owned()), "{id} used twice");
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} declares no success"
            );
            for (status, response) in responses {
                assert!(
                    !response["description"].as_str().unwrap().is_empty(),
                    "{method} {path} {status} undescribed"
                );
                for media in response["content"].as_object().into_iter().flatten() {
                    let schema = &media.1["schema"];
                    if let Some(reference) = schema["$ref"].as_str() {
                        let name = reference.trim_start_matches("#/components/schemas/");
                        assert!(schemas.contains_key(name), "{method} {path}: {name}");
                    }
                }
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
            // The bearer layer and the document come from one declaration.
            let secured = operation["security"].is_array();
            assert!(!secured || responses.contains_key("401"), "{method} {path}");
            let (status, body) = call(&server, method, path).await;
            if secured {
                assert_eq!(
                    (status, body["error"].as_str()),
                    (401, Some("unauthorized")),
                    "{method} {path} without a token"
                );
            } else {
                assert_ne!(status, 401, "{method} {path} is not documented as secured");
            }
        }
    }
}

crate::on_each_backend!(
    a_disabled_capability_answers_404_capability_disabled,
    openapi_lists_exactly_the_served_routes,
    a_capability_switched_off_takes_exactly_its_documented_routes_away,
    every_operation_declares_its_answers_and_the_bearer_layer_follows_it,
);
