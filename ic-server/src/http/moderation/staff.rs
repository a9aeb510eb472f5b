//! Staff routes of moderation: the case list and resolved case, actions, calibration marks,
//! summaries, reviewer records, appeal decisions and the admin audit log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::super::error::{ApiError, ErrorBody};
use super::super::extract::{ApiJson, ApiPath, ApiQuery};
use super::service;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::moderation::service::{ActRequest, ReviewerStatsView, SummariesRequest, case_filter};
use crate::moderation::views::{
    ActionView, AppealView, ResolvedCaseView, action_view, appeal_view,
};
use crate::moderation::{CaseState, Category};

/// Staff only: the answer to anyone else.
const STAFF_ONLY: &str = "`forbidden`: the caller lacks the role";

/// Query of the case list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct CasesQuery {
    /// Only cases in this state.
    state: Option<String>,
    /// Only cases of this category.
    category: Option<String>,
    /// Only cases that do (or do not) wait for a moderator.
    requires_moderator: Option<bool>,
    /// At most this many (default 100).
    limit: Option<u32>,
}

/// One case of the list.
#[derive(Serialize, ToSchema)]
pub(super) struct CaseListEntry {
    /// The case.
    case_id: String,
    /// Category.
    category: Category,
    /// Where the case stands.
    state: CaseState,
    /// Triage hint, 0–100.
    severity_hint: u8,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    updated_at: i64,
    /// Reviewers the case needs.
    required_reviewers: u8,
    /// Reports filed.
    reports: u32,
    /// Votes cast.
    votes: u32,
    /// Whether the consensus asks for a moderator (none before one).
    requires_moderator: Option<bool>,
    /// Whether it is a calibration case.
    calibration: bool,
}

/// The case list.
#[derive(Serialize, ToSchema)]
pub(super) struct CaseList {
    /// Newest first.
    cases: Vec<CaseListEntry>,
}

/// The cases, filtered.
#[utoipa::path(get, path = "/v1/moderation/cases", tag = "moderation",
    summary = "Moderator: cases (?state=&category=&requires_moderator=&limit=)",
    params(CasesQuery),
    responses((status = 200, body = CaseList),
        (status = 400, body = ErrorBody, description = "`invalid_query`"),
        (status = 403, body = ErrorBody, description = STAFF_ONLY)))]
pub(super) async fn cases(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CasesQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let filter = case_filter(
        query.state.as_deref(),
        query.category.as_deref(),
        query.requires_moderator,
        query.limit,
    )?;
    let rows = service(&state)?.list_cases(&principal, &filter).await?;
    let cases = rows
        .into_iter()
        .map(|row| CaseListEntry {
            case_id: row.case.case_id,
            category: row.case.category,
            state: row.case.state,
            severity_hint: row.case.severity_hint,
            created_at: row.case.created_at,
            updated_at: row.case.updated_at,
            required_reviewers: row.case.required_reviewers,
            reports: row.reports,
            votes: row.votes,
            requires_moderator: row.requires_moderator,
            calibration: row.calibration,
        })
        .collect();
    Ok(Json(CaseList { cases }))
}

/// A case with identities resolved; the viewing is audited.
#[utoipa::path(get, path = "/v1/moderation/cases/{id}", tag = "moderation",
    summary = "Moderator: a case with identities resolved (audited)",
    params(("id" = String, Path, description = "The case")),
    responses((status = 200, body = ResolvedCaseView),
        (status = 403, body = ErrorBody, description = STAFF_ONLY),
        (status = 404, body = ErrorBody, description = "`case_not_found`")))]
pub(super) async fn open_case(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ResolvedCaseView>, ApiError> {
    Ok(Json(
        service(&state)?
            .open_case(&principal, &id, unix_now())
            .await?,
    ))
}

/// Acts on a case.
#[utoipa::path(post, path = "/v1/moderation/cases/{id}/actions", tag = "moderation",
    summary = "Moderator: act on a case (action, reason)",
    params(("id" = String, Path, description = "The case")),
    request_body = ActRequest,
    responses((status = 201, body = ActionView),
        (status = 400, body = ErrorBody, description = "`invalid_action` or `invalid_reason`"),
        (status = 403, body = ErrorBody, description = STAFF_ONLY),
        (status = 404, body = ErrorBody, description = "`case_not_found`"),
        (status = 409, body = ErrorBody, description = "`invalid_case_state`, \
            `consensus_required`, `case_changed` or `ranking_disabled`")))]
pub(super) async fn act(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<(StatusCode, Json<ActionView>), ApiError> {
    let action = service(&state)?
        .act(&principal, &id, request, unix_now())
        .await?;
    Ok((StatusCode::CREATED, Json(action_view(&action))))
}

/// Body of marking a calibration case.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CalibrationRequest {
    /// The decision reviewers will be measured against.
    known_decision: String,
    /// Why.
    reason: String,
}

/// A case marked as calibration.
#[derive(Serialize, ToSchema)]
pub(super) struct CalibrationMarked {
    /// The case.
    case_id: String,
    /// Always true.
    calibration: bool,
}

/// What a change to a case did.
#[derive(Serialize, ToSchema)]
pub(super) struct CaseChanged {
    /// The case.
    case_id: String,
    /// `attached`.
    status: &'static str,
}

/// Marks a closed case as a calibration case.
#[utoipa::path(post, path = "/v1/moderation/cases/{id}/calibration", tag = "moderation",
    summary = "Moderator: mark a closed case as calibration (known_decision, reason)",
    params(("id" = String, Path, description = "The case")),
    request_body = CalibrationRequest,
    responses((status = 201, body = CalibrationMarked),
        (status = 400, body = ErrorBody,
            description = "`invalid_decision`, `case_not_closed` or `invalid_reason`"),
        (status = 403, body = ErrorBody, description = STAFF_ONLY),
        (status = 404, body = ErrorBody, description = "`case_not_found`"),
        (status = 409, body = ErrorBody, description = "`already_calibration`")))]
pub(super) async fn mark_calibration(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<CalibrationRequest>,
) -> Result<(StatusCode, Json<CalibrationMarked>), ApiError> {
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
        Json(CalibrationMarked {
            case_id: id,
            calibration: true,
        }),
    ))
}

/// Attaches telemetry and anti-cheat summaries to a case.
#[utoipa::path(post, path = "/v1/moderation/cases/{id}/summaries", tag = "moderation",
    summary = "Moderator: attach telemetry and anti-cheat summaries",
    params(("id" = String, Path, description = "The case")),
    request_body = SummariesRequest,
    responses((status = 200, body = CaseChanged),
        (status = 400, body = ErrorBody,
            description = "`invalid_reason` or `case_not_in_review`"),
        (status = 403, body = ErrorBody, description = STAFF_ONLY),
        (status = 404, body = ErrorBody, description = "`case_not_found`")))]
pub(super) async fn summaries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<SummariesRequest>,
) -> Result<Json<CaseChanged>, ApiError> {
    service(&state)?
        .attach_summaries(&principal, &id, request, unix_now())
        .await?;
    Ok(Json(CaseChanged {
        case_id: id,
        status: "attached",
    }))
}

/// Reviewer calibration records.
#[derive(Serialize, ToSchema)]
pub(super) struct Reviewers {
    /// Every reviewer with a record.
    reviewers: Vec<ReviewerStatsView>,
}

/// Every reviewer's calibration record.
#[utoipa::path(get, path = "/v1/moderation/reviewers", tag = "moderation",
    summary = "Moderator: reviewer calibration records (audited)",
    responses((status = 200, body = Reviewers),
        (status = 403, body = ErrorBody, description = STAFF_ONLY)))]
pub(super) async fn reviewers(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Reviewers>, ApiError> {
    let reviewers = service(&state)?
        .reviewer_stats(&principal, unix_now())
        .await?;
    Ok(Json(Reviewers { reviewers }))
}

/// Query of the appeal list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AppealsQuery {
    /// Only undecided appeals.
    #[serde(default)]
    open: bool,
}

/// The appeals.
#[derive(Serialize, ToSchema)]
pub(super) struct Appeals {
    /// Open ones first, then newest first; at most 500.
    appeals: Vec<AppealView>,
}

/// The appeals.
#[utoipa::path(get, path = "/v1/moderation/appeals", tag = "moderation",
    summary = "Moderator: appeals (?open=true)",
    params(AppealsQuery),
    responses((status = 200, body = Appeals),
        (status = 403, body = ErrorBody, description = STAFF_ONLY)))]
pub(super) async fn appeals(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AppealsQuery>,
) -> Result<Json<Appeals>, ApiError> {
    let appeals = service(&state)?.appeals(&principal, query.open).await?;
    Ok(Json(Appeals {
        appeals: appeals.iter().map(appeal_view).collect(),
    }))
}

/// Body of an appeal decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionRequest {
    /// `uphold` or `reverse`.
    decision: String,
    /// Why.
    reason: String,
}

/// Upholds or reverses an appeal.
#[utoipa::path(post, path = "/v1/moderation/appeals/{id}/decision", tag = "moderation",
    summary = "Moderator: uphold or reverse an appeal (decision, reason)",
    params(("id" = String, Path, description = "The appeal")),
    request_body = DecisionRequest,
    responses((status = 200, body = AppealView),
        (status = 400, body = ErrorBody, description = "`invalid_decision` or `invalid_reason`"),
        (status = 403, body = ErrorBody, description = "`forbidden` or `own_appeal`"),
        (status = 404, body = ErrorBody, description = "`appeal_not_found`"),
        (status = 409, body = ErrorBody,
            description = "`appeal_decided` or `invalid_case_state`")))]
pub(super) async fn decide_appeal(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Json<AppealView>, ApiError> {
    let appeal = service(&state)?
        .decide_appeal(
            &principal,
            &id,
            &request.decision,
            &request.reason,
            unix_now(),
        )
        .await?;
    Ok(Json(appeal_view(&appeal)))
}

/// Query of the audit log.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Entries at or after this Unix second.
    #[serde(default)]
    since: i64,
    /// At most this many, 1–5000 (default 500).
    limit: Option<u32>,
}

/// One entry of the audit log.
#[derive(Serialize, ToSchema)]
pub(super) struct AuditLine {
    /// The entry.
    audit_id: String,
    /// Unix seconds.
    at: i64,
    /// Who acted (none: the server itself).
    actor: Option<String>,
    /// The role they acted in.
    actor_role: String,
    /// What was done.
    action: String,
    /// The case concerned.
    case_id: Option<String>,
    /// The player concerned.
    target: Option<String>,
    /// Why.
    reason: String,
    /// Details of the action (free-form JSON).
    #[schema(value_type = Object)]
    details: Value,
}

/// The audit log.
#[derive(Serialize, ToSchema)]
pub(super) struct AuditLog {
    /// Oldest first.
    entries: Vec<AuditLine>,
}

/// The moderation audit log.
#[utoipa::path(get, path = "/v1/moderation/audit", tag = "moderation",
    summary = "Admin: the moderation audit log (?since=&limit=)",
    params(AuditQuery),
    responses((status = 200, body = AuditLog),
        (status = 400, body = ErrorBody, description = "`invalid_query`"),
        (status = 403, body = ErrorBody, description = "`forbidden`: admins only")))]
pub(super) async fn audit(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditLog>, ApiError> {
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
    let entries = entries
        .into_iter()
        .map(|e| AuditLine {
            details: serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
            audit_id: e.audit_id,
            at: e.at,
            actor: e.actor.map(|k| k.to_string()),
            actor_role: e.actor_role,
            action: e.action,
            case_id: e.case_id,
            target: e.target.map(|k| k.to_string()),
            reason: e.reason,
        })
        .collect();
    Ok(Json(AuditLog { entries }))
}
