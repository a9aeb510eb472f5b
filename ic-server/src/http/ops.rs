//! Operations endpoints: liveness, readiness, Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::{AppState, RouteGroup};

/// The answer of a liveness or readiness probe.
#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` (alive) or `ready`.
    status: &'static str,
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(None)
            .route(routes!(health))
            .route(routes!(healthz))
            .route(routes!(ready))
            .route(routes!(readyz))
            .route(routes!(metrics)),
    ]
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", summary = "Liveness",
    responses((status = 200, body = Status)))]
async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The process is up (the Kubernetes spelling of `/health`).
#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "Liveness (alias)",
    responses((status = 200, body = Status)))]
async fn healthz() -> Json<Status> {
    health().await
}

/// 200 while the database answers and the server is not draining.
#[utoipa::path(get, path = "/ready", tag = "operations",
    summary = "Readiness: database open and not draining",
    responses((status = 200, body = Status),
        (status = 503, body = ErrorBody, description = "`not_ready` or `storage_unavailable`")))]
async fn ready(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
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
    Ok(Json(Status { status: "ready" }))
}

/// Readiness (the Kubernetes spelling of `/ready`).
#[utoipa::path(get, path = "/readyz", tag = "operations", summary = "Readiness (alias)",
    responses((status = 200, body = Status),
        (status = 503, body = ErrorBody, description = "`not_ready` or `storage_unavailable`")))]
async fn readyz(state: State<AppState>) -> Result<Json<Status>, ApiError> {
    ready(state).await
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4",
        content_type = "text/plain", body = String)))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
