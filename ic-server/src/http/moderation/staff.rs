//! Staff routes of moderation: the case list and resolved case, actions, calibration marks,
//! summaries, reviewer records, appeal decisions and the admin audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::{ApiJson, ApiQuery};
use super::service;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::moderation::service::{ActRequest, SummariesRequest, case_filter};
use crate::moderation::views::{action_json, appeal_json};

/// Query of the case list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CasesQuery {
    state: Option<String>,
    category: Option<String>,
    requires_moderator: Option<bool>,
    limit: Option<u32>,
}

/// `GET /v1/moderation/cases`.
pub(super) async fn cases(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CasesQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = case_filter(
        query.state.as_deref(),
        query.category.as_deref(),
        query.requires_moderator,
        query.limit,
    )?;
    let rows = service(&state)?.list_cases(&principal, &filter).await?;
    let cases: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "case_id": row.case.case_id,
                "category": row.case.category,
                "state": row.case.state,
                "severity_hint": row.case.severity_hint,
                "created_at": row.case.created_at,
                "updated_at": row.case.updated_at,
                "required_reviewers": row.case.required_reviewers,
                "reports": row.reports,
                "votes": row.votes,
                "requires_moderator": row.requires_moderator,
                "calibration": row.calibration,
            })
        })
        .collect();
    Ok(Json(json!({ "cases": cases })))
}

/// `GET /v1/moderation/cases/{id}`.
pub(super) async fn open_case(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service(&state)?
            .open_case(&principal, &id, unix_now())
            .await?,
    ))
}

/// `POST /v1/moderation/cases/{id}/actions`.
pub(super) async fn act(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let action = service(&state)?
        .act(&principal, &id, request, unix_now())
        .await?;
    Ok((StatusCode::CREATED, Json(action_json(&action))))
}

/// Body of marking a calibration case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CalibrationRequest {
    known_decision: String,
    reason: String,
}

/// `POST /v1/moderation/cases/{id}/calibration`.
pub(super) async fn mark_calibration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CalibrationRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    service(&state)?
        .mark_calibration(
            &principal,
            &id,
            &request.known_decision,
            &request.reason,
            unix_now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "case_id": id, "calibration": true })),
    ))
}

/// `POST /v1/moderation/cases/{id}/summaries`.
pub(super) async fn summaries(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SummariesRequest>,
) -> Result<Json<Value>, ApiError> {
    service(&state)?
        .attach_summaries(&principal, &id, request, unix_now())
        .await?;
    Ok(Json(json!({ "case_id": id, "status": "attached" })))
}

/// `GET /v1/moderation/reviewers`.
pub(super) async fn reviewers(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let stats = service(&state)?
        .reviewer_stats(&principal, unix_now())
        .await?;
    Ok(Json(json!({ "reviewers": stats })))
}

/// Query of the appeal list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AppealsQuery {
    #[serde(default)]
    open: bool,
}

/// `GET /v1/moderation/appeals`.
pub(super) async fn appeals(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AppealsQuery>,
) -> Result<Json<Value>, ApiError> {
    let appeals = service(&state)?.appeals(&principal, query.open).await?;
    Ok(Json(
        json!({ "appeals": appeals.iter().map(appeal_json).collect::<Vec<_>>() }),
    ))
}

/// Body of an appeal decision.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionRequest {
    decision: String,
    reason: String,
}

/// `POST /v1/moderation/appeals/{id}/decision`.
pub(super) async fn decide_appeal(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Json<Value>, ApiError> {
    let appeal = service(&state)?
        .decide_appeal(
            &principal,
            &id,
            &request.decision,
            &request.reason,
            unix_now(),
        )
        .await?;
    Ok(Json(appeal_json(&appeal)))
}

/// Query of the audit log.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    #[serde(default)]
    since: i64,
    limit: Option<u32>,
}

/// `GET /v1/moderation/audit`.
pub(super) async fn audit(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = match query.limit.unwrap_or(500) {
        limit @ 1..=5000 => limit,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "limit must be 1..=5000",
            ));
        }
    };
    let entries = service(&state)?
        .audit_log(&principal, query.since, limit)
        .await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "audit_id": e.audit_id,
                "at": e.at,
                "actor": e.actor.map(|k| k.to_string()),
                "actor_role": e.actor_role,
                "action": e.action,
                "case_id": e.case_id,
                "target": e.target.map(|k| k.to_string()),
                "reason": e.reason,
                "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "entries": entries })))
}
