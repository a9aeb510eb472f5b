//! Moderation routes: player reports and appeals (own sanctions are in `sanctions`); reviewer assignments and votes;
//! moderator cases, actions, calibration, appeals, reviewer stats; the admin audit log.

mod evidence;
mod members;
mod staff;

use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, get, post};

use super::error::ApiError;
use super::{AppState, Route, route};
use crate::config::Capability;
use crate::moderation::{ModerationError, ModerationService};

/// The moderation routes (all under the `moderation` capability). There is no PUT, PATCH or
/// DELETE: votes, consensus records and actions cannot be edited or removed through the API.
pub fn routes() -> Vec<Route> {
    let m = Some(Capability::Moderation);
    vec![
        route(
            Method::POST,
            "/v1/reports",
            m,
            true,
            true,
            "Report a player (accused, category, optional certified match id, note)",
        ),
        route(
            Method::POST,
            "/v1/appeals",
            m,
            true,
            true,
            "Appeal a sanction once per case (case_id, statement)",
        ),
        route(
            Method::POST,
            "/v1/review/assignments/next",
            m,
            true,
            true,
            "Reviewer: the open assignment or the next case, anonymized",
        ),
        route(
            Method::GET,
            "/v1/review/assignments",
            m,
            false,
            true,
            "Reviewer: own assignments, anonymized",
        ),
        route(
            Method::GET,
            "/v1/review/assignments/{id}",
            m,
            false,
            true,
            "Reviewer: one assignment's case, anonymized",
        ),
        route(
            Method::POST,
            "/v1/review/assignments/{id}/vote",
            m,
            true,
            true,
            "Reviewer: vote once (decision, confidence 0-100, notes)",
        ),
        route(
            Method::GET,
            "/v1/review/me",
            m,
            false,
            true,
            "Reviewer: own calibration results, weight, and whether new cases are given",
        ),
        route(
            Method::GET,
            "/v1/moderation/cases",
            m,
            false,
            true,
            "Moderator: cases (?state=&category=&requires_moderator=&limit=)",
        ),
        route(
            Method::GET,
            "/v1/moderation/cases/{id}",
            m,
            false,
            true,
            "Moderator: a case with identities resolved (audited)",
        ),
        route(
            Method::POST,
            "/v1/moderation/cases/{id}/actions",
            m,
            true,
            true,
            "Moderator: act on a case (action, reason)",
        ),
        route(
            Method::POST,
            "/v1/moderation/cases/{id}/calibration",
            m,
            true,
            true,
            "Moderator: mark a closed case as calibration (known_decision, reason)",
        ),
        route(
            Method::POST,
            "/v1/moderation/cases/{id}/summaries",
            m,
            true,
            true,
            "Moderator: attach telemetry and anti-cheat summaries",
        ),
        route(
            Method::GET,
            "/v1/moderation/cases/{id}/evidence",
            m,
            false,
            true,
            "Moderator: the case's certified matches with keys, signed results and replay links \
             (audited)",
        ),
        route(
            Method::GET,
            "/v1/moderation/cases/{id}/replays/{match_id}",
            m,
            false,
            true,
            "Moderator: a case match's replay as the relay hashed it (application/octet-stream)",
        ),
        route(
            Method::GET,
            "/v1/review/assignments/{id}/evidence",
            m,
            false,
            true,
            "Reviewer: the assigned case's certified matches, players by the case's pseudonyms",
        ),
        route(
            Method::GET,
            "/v1/review/assignments/{id}/replays/{match_id}",
            m,
            false,
            true,
            "Reviewer: a case match's replay with key-like chat text redacted",
        ),
        route(
            Method::GET,
            "/v1/moderation/reviewers",
            m,
            false,
            true,
            "Moderator: reviewer calibration records (audited)",
        ),
        route(
            Method::GET,
            "/v1/moderation/appeals",
            m,
            false,
            true,
            "Moderator: appeals (?open=true)",
        ),
        route(
            Method::POST,
            "/v1/moderation/appeals/{id}/decision",
            m,
            true,
            true,
            "Moderator: uphold or reverse an appeal (decision, reason)",
        ),
        route(
            Method::GET,
            "/v1/moderation/audit",
            m,
            false,
            true,
            "Admin: the moderation audit log (?since=&limit=)",
        ),
    ]
}

/// The handler of a moderation route.
pub fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("POST", "/v1/reports") => post(members::report),
        ("POST", "/v1/appeals") => post(members::appeal),
        ("POST", "/v1/review/assignments/next") => post(members::next_assignment),
        ("GET", "/v1/review/assignments") => get(members::assignments),
        ("GET", "/v1/review/assignments/{id}") => get(members::assignment),
        ("POST", "/v1/review/assignments/{id}/vote") => post(members::vote),
        ("GET", "/v1/review/me") => get(members::my_calibration),
        ("GET", "/v1/moderation/cases") => get(staff::cases),
        ("GET", "/v1/moderation/cases/{id}") => get(staff::open_case),
        ("POST", "/v1/moderation/cases/{id}/actions") => post(staff::act),
        ("POST", "/v1/moderation/cases/{id}/calibration") => post(staff::mark_calibration),
        ("POST", "/v1/moderation/cases/{id}/summaries") => post(staff::summaries),
        ("GET", "/v1/moderation/cases/{id}/evidence") => get(evidence::case_evidence),
        ("GET", "/v1/moderation/cases/{id}/replays/{match_id}") => get(evidence::case_replay),
        ("GET", "/v1/review/assignments/{id}/evidence") => get(evidence::assignment_evidence),
        ("GET", "/v1/review/assignments/{id}/replays/{match_id}") => {
            get(evidence::assignment_replay)
        }
        ("GET", "/v1/moderation/reviewers") => get(staff::reviewers),
        ("GET", "/v1/moderation/appeals") => get(staff::appeals),
        ("POST", "/v1/moderation/appeals/{id}/decision") => post(staff::decide_appeal),
        ("GET", "/v1/moderation/audit") => get(staff::audit),
        _ => return None,
    })
}

impl From<ModerationError> for ApiError {
    fn from(error: ModerationError) -> Self {
        // The authority's errors (ranked suspensions) keep the authority's mapping.
        let error = match error {
            ModerationError::Authority(inner) => return Self::from(inner),
            other => other,
        };
        let status = match &error {
            ModerationError::BadInput { .. } => StatusCode::BAD_REQUEST,
            ModerationError::UnknownPlayer
            | ModerationError::CaseNotFound
            | ModerationError::AssignmentNotFound
            | ModerationError::AppealNotFound
            | ModerationError::AbandonNotFound => StatusCode::NOT_FOUND,
            ModerationError::MatchNotCertified | ModerationError::NotInMatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ModerationError::ReportRateLimited => StatusCode::TOO_MANY_REQUESTS,
            ModerationError::NotEligible(_)
            | ModerationError::AccuracyTooLow
            | ModerationError::Forbidden(_)
            | ModerationError::OwnAppeal => StatusCode::FORBIDDEN,
            ModerationError::AlreadyReported
            | ModerationError::AssignmentExpired
            | ModerationError::AlreadyVoted
            | ModerationError::InvalidState(_)
            | ModerationError::ConsensusRequired
            | ModerationError::Changed
            | ModerationError::AppealNotAllowed
            | ModerationError::AlreadyAppealed
            | ModerationError::AppealDecided
            | ModerationError::AlreadyCalibration
            | ModerationError::RankingDisabled => StatusCode::CONFLICT,
            // Mapped above; kept for an exhaustive match.
            ModerationError::Authority(_) | ModerationError::Store(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        if status.is_server_error() {
            tracing::error!(error = %error, "moderation request failed");
        }
        Self::new(status, error.code(), error.to_string())
    }
}

pub(super) fn service(state: &AppState) -> Result<&ModerationService, ApiError> {
    state.moderation()
}
