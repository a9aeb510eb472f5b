//! Moderation routes: player reports and appeals (own sanctions are in `sanctions`); reviewer assignments and votes;
//! moderator cases, actions, calibration, appeals, reviewer stats; the admin audit log.

mod evidence;
mod members;
mod staff;

use axum::http::StatusCode;
use utoipa_axum::routes;

use super::error::ApiError;
use super::{AppState, RouteGroup};
use crate::config::Capability;
use crate::moderation::{ModerationError, ModerationService};

/// The moderation routes (all under the `moderation` capability). There is no PUT, PATCH or
/// DELETE: votes, consensus records and actions cannot be edited or removed through the API.
pub(super) fn routes() -> Vec<RouteGroup> {
    let m = Some(Capability::Moderation);
    vec![
        RouteGroup::new(m)
            .limited()
            .authenticated()
            .route(routes!(members::report))
            .route(routes!(members::appeal))
            .route(routes!(members::next_assignment))
            .route(routes!(members::vote))
            .route(routes!(staff::act))
            .route(routes!(staff::mark_calibration))
            .route(routes!(staff::summaries))
            .route(routes!(staff::decide_appeal)),
        RouteGroup::new(m)
            .authenticated()
            .route(routes!(members::assignments))
            .route(routes!(members::assignment))
            .route(routes!(members::my_calibration))
            .route(routes!(staff::cases))
            .route(routes!(staff::open_case))
            .route(routes!(evidence::case_evidence))
            .route(routes!(evidence::case_replay))
            .route(routes!(evidence::assignment_evidence))
            .route(routes!(evidence::assignment_replay))
            .route(routes!(staff::reviewers))
            .route(routes!(staff::appeals))
            .route(routes!(staff::audit)),
    ]
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
            | ModerationError::ReporterNotEligible { .. }
            | ModerationError::AccuracyTooLow
            | ModerationError::Forbidden(_)
            | ModerationError::OwnAppeal
            | ModerationError::ConflictOfInterest(_) => StatusCode::FORBIDDEN,
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
