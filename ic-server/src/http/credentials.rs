//! `POST /v1/credentials/verify`: verify records presented by anyone, for third parties.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::clock::unix_now;

/// Most records accepted in one request.
pub const MAX_RECORDS: usize = 256;

/// Body of a verification request.
#[derive(Deserialize)]
pub struct VerifyRequest {
    records: Vec<String>,
}

/// Verifies each record; a record that is not base64 is reported as `malformed`.
pub async fn verify(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Json<Value>, ApiError> {
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
    let results: Vec<Value> = decoded
        .iter()
        .map(|bytes| match bytes {
            None => json!({
                "valid": false, "error": "malformed", "record_type": null,
                "player_key": null, "sequence": null,
            }),
            Some(_) => match outcomes.next() {
                Some(outcome) => json!({
                    "valid": outcome.valid,
                    "error": outcome.error,
                    "record_type": outcome.record_type,
                    "player_key": outcome.player_key.map(|k| k.to_string()),
                    "sequence": outcome.sequence,
                    // Rating records only: the season they count in and `current_season`,
                    // `previous_season` (valid, the player places again) or `season_expired`
                    // (matchmaking refuses it).
                    "season": outcome.season.map(|(season, _)| season),
                    "season_status": outcome.season.map(|(_, standing)| standing.name()),
                    // The tier the record's rating shows (null while placing).
                    "tier": outcome.tier,
                    // Achievement records only: its name, the record's verification and its
                    // standing now (verified, pending, challenged, upgraded, optimistic, unknown).
                    "achievement": outcome.achievement.as_ref().map(|a| json!({
                        "name": a.name,
                        "verification": a.verification,
                        "status": a.status,
                    })),
                }),
                None => json!({ "valid": false, "error": "internal" }),
            },
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}
