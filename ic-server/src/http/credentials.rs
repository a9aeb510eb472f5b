//! `POST /v1/credentials/verify`: verify records presented by anyone, for third parties.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::{AppState, RouteGroup};
use crate::clock::unix_now;
use crate::config::Capability;
use utoipa_axum::routes;

/// Most records accepted in one request.
pub const MAX_RECORDS: usize = 256;

/// Body of a verification request.
#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// Records, each standard base64 of its bytes; at most 256.
    records: Vec<String>,
}

/// An achievement record's standing.
#[derive(Serialize, ToSchema)]
pub struct AchievementVerdict {
    /// The achievement's name, when this community defines it.
    name: Option<String>,
    /// How the record was verified when issued.
    verification: &'static str,
    /// Its standing now: `verified`, `pending`, `challenged`, `upgraded`, `optimistic` or
    /// `unknown`.
    status: &'static str,
}

/// The verdict on one presented record.
#[derive(Serialize, ToSchema)]
pub struct RecordVerdict {
    /// Whether the record verifies.
    valid: bool,
    /// Why not (`malformed`, `expired`, `bad_signature`, `revoked`, …).
    error: Option<&'static str>,
    /// The record's type, when it decodes.
    record_type: Option<&'static str>,
    /// The player it names.
    player_key: Option<String>,
    /// Its sequence in the player's history.
    sequence: Option<u64>,
    /// Rating records: the season they count in.
    season: Option<u32>,
    /// Rating records: `current_season`, `previous_season` (valid, the player places again) or
    /// `season_expired` (matchmaking refuses it).
    season_status: Option<&'static str>,
    /// Rating records: the tier the rating shows (none while placing).
    tier: Option<String>,
    /// Achievement records: what it is and where it stands.
    achievement: Option<AchievementVerdict>,
}

impl RecordVerdict {
    fn failed(error: &'static str) -> Self {
        Self {
            valid: false,
            error: Some(error),
            record_type: None,
            player_key: None,
            sequence: None,
            season: None,
            season_status: None,
            tier: None,
            achievement: None,
        }
    }
}

/// The verdicts, in the order the records came.
#[derive(Serialize, ToSchema)]
pub struct Verdicts {
    results: Vec<RecordVerdict>,
}

/// The route of this module: anyone may verify, limited.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(Some(Capability::Ranking))
            .limited()
            .route(routes!(verify)),
    ]
}

/// Verifies each record; a record that is not base64 is reported as `malformed`.
#[utoipa::path(post, path = "/v1/credentials/verify", tag = "players",
    summary = "Verify presented records",
    request_body = VerifyRequest,
    responses((status = 200, body = Verdicts),
        (status = 400, body = ErrorBody, description = "`too_many_records`")))]
pub(super) async fn verify(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Json<Verdicts>, ApiError> {
    let authority = state.authority()?;
    if request.records.len() > MAX_RECORDS {
        return Err(ApiError::bad_request(
            "too_many_records",
            format!("at most {MAX_RECORDS} records per request"),
        ));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let decoded: Vec<Option<Vec<u8>>> =
        request.records.iter().map(|r| b64.decode(r).ok()).collect();
    let valid_base64: Vec<Vec<u8>> = decoded.iter().flatten().cloned().collect();
    let mut outcomes = authority
        .verify_records(&valid_base64, unix_now())
        .await?
        .into_iter();
    let results = decoded
        .iter()
        .map(|bytes| match bytes {
            None => RecordVerdict::failed("malformed"),
            Some(_) => match outcomes.next() {
                Some(outcome) => RecordVerdict {
                    valid: outcome.valid,
                    error: outcome.error,
                    record_type: outcome.record_type,
                    player_key: outcome.player_key.map(|k| k.to_string()),
                    sequence: outcome.sequence,
                    season: outcome.season.map(|(season, _)| season),
                    season_status: outcome.season.map(|(_, standing)| standing.name()),
                    tier: outcome.tier,
                    achievement: outcome.achievement.map(|a| AchievementVerdict {
                        name: a.name,
                        verification: a.verification,
                        status: a.status,
                    }),
                },
                None => RecordVerdict::failed("internal"),
            },
        })
        .collect();
    Ok(Json(Verdicts { results }))
}
