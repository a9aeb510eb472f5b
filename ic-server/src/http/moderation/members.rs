//! Member routes of moderation: reports and appeals; reviewer assignments and
//! votes. Thin: parse, call the service, shape the answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::ApiJson;
use super::service;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::moderation::service::{ReportRequest, ReviewerCalibration, VoteRequest};
use crate::moderation::views::appeal_json;

/// `POST /v1/reports`.
pub(super) async fn report(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let receipt = service(&state)?
        .report(principal.key, request, unix_now())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(receipt))))
}

/// Body of `POST /v1/appeals`: a case with a sanction, or the abandon of a match (the leaver
/// cooldown it caused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AppealRequest {
    #[serde(default)]
    case_id: Option<String>,
    /// The abandoned match's id, 64 hex characters (`GET /v1/sanctions/me` names it).
    #[serde(default)]
    match_id: Option<String>,
    statement: String,
}

/// `POST /v1/appeals`.
pub(super) async fn appeal(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<AppealRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let service = service(&state)?;
    let appeal = match (&request.case_id, &request.match_id) {
        (Some(case_id), None) => {
            service
                .appeal(principal.key, case_id, &request.statement, unix_now())
                .await?
        }
        (None, Some(match_id)) => {
            let mut id = [0; 32];
            hex::decode_to_slice(match_id, &mut id).map_err(|_| {
                ApiError::bad_request("invalid_match_id", "match_id must be 64 hex characters")
            })?;
            service
                .appeal_abandon(principal.key, &id, &request.statement, unix_now())
                .await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_appeal",
                "name either case_id (a sanction's case) or match_id (an abandon)",
            ));
        }
    };
    Ok((StatusCode::CREATED, Json(appeal_json(&appeal))))
}

/// `POST /v1/review/assignments/next`.
pub(super) async fn next_assignment(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let view = service(&state)?
        .next_assignment(&principal, unix_now())
        .await?;
    Ok(Json(json!({ "assignment": view })))
}

/// `GET /v1/review/me`.
pub(super) async fn my_calibration(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ReviewerCalibration>, ApiError> {
    Ok(Json(
        service(&state)?
            .my_calibration(&principal, unix_now())
            .await?,
    ))
}

/// `GET /v1/review/assignments`.
pub(super) async fn assignments(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let views = service(&state)?.assignments(&principal).await?;
    Ok(Json(json!({ "assignments": views })))
}

/// `GET /v1/review/assignments/{id}`.
pub(super) async fn assignment(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = service(&state)?.assignment(&principal, &id).await?;
    Ok(Json(json!(view)))
}

/// `POST /v1/review/assignments/{id}/vote`.
pub(super) async fn vote(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<VoteRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    service(&state)?
        .vote(&principal, &id, request, unix_now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "assignment_id": id, "status": "recorded" })),
    ))
}
