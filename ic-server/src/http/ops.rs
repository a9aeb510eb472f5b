//! Operations endpoints: liveness, readiness, Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::AppState;
use super::error::ApiError;

/// `GET /health`: the process is up.
pub async fn health() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: 200 while the database answers and the server is not draining.
pub async fn ready(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    if !state.ready.load(Ordering::SeqCst) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the server is starting or draining",
        ));
    }
    state.store.ping().await.map_err(|error| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            error.to_string(),
        )
    })?;
    Ok(Json(json!({ "status": "ready" })))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
