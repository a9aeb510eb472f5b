//! `GET /openapi.json`, generated from the same route table that builds the router.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::{API_VERSION, AppState, routes};

/// The OpenAPI 3.1 document of the routes this server has enabled.
pub async fn document(State(state): State<AppState>) -> Json<Value> {
    Json(build(&state))
}

/// Builds the document for the capabilities enabled in `state`.
pub fn build(state: &AppState) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in routes() {
        if !route
            .capability
            .is_none_or(|c| state.config.capabilities.enabled(c))
        {
            continue;
        }
        let mut operation = json!({
            "summary": route.summary,
            "responses": {
                "default": {
                    "description": "JSON; errors are {\"error\": code, \"message\": text}",
                }
            }
        });
        if route.authenticated {
            operation["security"] = json!([{ "bearer": [] }]);
        }
        let path = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        path[route.method.as_str().to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ic-server community API",
            "version": API_VERSION.to_string(),
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" }
            }
        },
        "paths": paths,
    })
}
