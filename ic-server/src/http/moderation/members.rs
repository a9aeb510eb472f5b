//! Member routes of moderation: reports and appeals; reviewer assignments and
//! votes. Thin: parse, call the service, shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::AppState;
use super::super::error::{ApiError, ErrorBody};
use super::super::extract::{ApiJson, ApiPath};
use super::service;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::moderation::service::{ReportReceipt, ReportRequest, ReviewerCalibration, VoteRequest};
use crate::moderation::views::{AppealView, ReviewerCaseView, appeal_view};

/// Reports a player.
#[utoipa::path(post, path = "/v1/reports", tag = "moderation",
    summary = "Report a player (accused, category, optional certified match id, note)",
    request_body = ReportRequest,
    responses((status = 201, body = ReportReceipt),
        (status = 400, body = ErrorBody, description = "`invalid_key`, `invalid_category`, \
            `invalid_match_id`, `invalid_replay_id`, `invalid_timeline_markers`, \
            `note_too_long` or `self_report`"),
        (status = 403, body = ErrorBody, description = "`reporter_not_eligible`: the reporter \
            is not registered or played fewer certified matches here than \
            `[moderation] reporter_min_matches`"),
        (status = 404, body = ErrorBody, description = "`unknown_player`"),
        (status = 409, body = ErrorBody, description = "`already_reported`"),
        (status = 422, body = ErrorBody, description = "`match_not_certified` or `not_in_match`"),
        (status = 429, body = ErrorBody,
            description = "`report_rate_limited` or `rate_limited`")))]
pub(super) async fn report(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<ReportReceipt>), ApiError> {
    let receipt = service(&state)?
        .report(principal.key, request, unix_now())
        .await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// Body of `POST /v1/appeals`: a case with a sanction, or the abandon of a match (the leaver
/// cooldown it caused).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AppealRequest {
    /// The case whose sanction is appealed.
    #[serde(default)]
    case_id: Option<String>,
    /// The abandoned match's id, 64 hex characters (`GET /v1/sanctions/me` names it).
    #[serde(default)]
    match_id: Option<String>,
    /// Why the decision should change.
    statement: String,
}

/// Appeals a sanction, or a leaver cooldown's abandon.
#[utoipa::path(post, path = "/v1/appeals", tag = "moderation",
    summary = "Appeal a sanction once per case (case_id, statement), or the abandon behind a \
        leaver cooldown (match_id, statement)",
    request_body = AppealRequest,
    responses((status = 201, body = AppealView),
        (status = 400, body = ErrorBody,
            description = "`invalid_appeal`, `invalid_match_id` or `invalid_statement`"),
        (status = 404, body = ErrorBody,
            description = "`case_not_found` or `abandon_not_found`"),
        (status = 409, body = ErrorBody,
            description = "`appeal_not_allowed` or `already_appealed`")))]
pub(super) async fn appeal(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<AppealRequest>,
) -> Result<(StatusCode, Json<AppealView>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(appeal_view(&appeal))))
}

/// The reviewer's next assignment.
#[derive(Serialize, ToSchema)]
pub(super) struct NextAssignment {
    /// The open assignment or a new one; none when no case waits.
    assignment: Option<ReviewerCaseView>,
}

/// The reviewer's open assignment, or the next case.
#[utoipa::path(post, path = "/v1/review/assignments/next", tag = "review",
    summary = "Reviewer: the open assignment or the next case, anonymized",
    responses((status = 200, body = NextAssignment),
        (status = 403, body = ErrorBody,
            description = "`not_eligible` or `review_accuracy_too_low`")))]
pub(super) async fn next_assignment(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<NextAssignment>, ApiError> {
    let assignment = service(&state)?
        .next_assignment(&principal, unix_now())
        .await?;
    Ok(Json(NextAssignment { assignment }))
}

/// The reviewer's own calibration results.
#[utoipa::path(get, path = "/v1/review/me", tag = "review",
    summary = "Reviewer: own calibration results, weight, and whether new cases are given",
    responses((status = 200, body = ReviewerCalibration),
        (status = 403, body = ErrorBody, description = "`not_eligible`")))]
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

/// The reviewer's assignments.
#[derive(Serialize, ToSchema)]
pub(super) struct Assignments {
    /// Newest first.
    assignments: Vec<ReviewerCaseView>,
}

/// The reviewer's own assignments.
#[utoipa::path(get, path = "/v1/review/assignments", tag = "review",
    summary = "Reviewer: own assignments, anonymized",
    responses((status = 200, body = Assignments)))]
pub(super) async fn assignments(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Assignments>, ApiError> {
    let assignments = service(&state)?.assignments(&principal).await?;
    Ok(Json(Assignments { assignments }))
}

/// One assignment's case.
#[utoipa::path(get, path = "/v1/review/assignments/{id}", tag = "review",
    summary = "Reviewer: one assignment's case, anonymized",
    params(("id" = String, Path, description = "The assignment")),
    responses((status = 200, body = ReviewerCaseView),
        (status = 404, body = ErrorBody, description = "`assignment_not_found`")))]
pub(super) async fn assignment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ReviewerCaseView>, ApiError> {
    Ok(Json(service(&state)?.assignment(&principal, &id).await?))
}

/// A recorded vote.
#[derive(Serialize, ToSchema)]
pub(super) struct VoteReceipt {
    /// The assignment voted on.
    assignment_id: String,
    /// Always `recorded`.
    status: &'static str,
}

/// Votes once on an assignment.
#[utoipa::path(post, path = "/v1/review/assignments/{id}/vote", tag = "review",
    summary = "Reviewer: vote once (decision, confidence 0-100, notes)",
    params(("id" = String, Path, description = "The assignment")),
    request_body = VoteRequest,
    responses((status = 201, body = VoteReceipt),
        (status = 400, body = ErrorBody, description = "`invalid_decision`, \
            `invalid_confidence` or `notes_too_long`"),
        (status = 404, body = ErrorBody, description = "`assignment_not_found`"),
        (status = 409, body = ErrorBody,
            description = "`already_voted`, `assignment_expired`, `case_changed` or \
                `invalid_case_state`")))]
pub(super) async fn vote(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<VoteRequest>,
) -> Result<(StatusCode, Json<VoteReceipt>), ApiError> {
    service(&state)?
        .vote(&principal, &id, request, unix_now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VoteReceipt {
            assignment_id: id,
            status: "recorded",
        }),
    ))
}
