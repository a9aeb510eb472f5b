//! `POST /v1/matches`: a relay submits a certified match result (raw bytes).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::ApiBytes;
use crate::clock::unix_now;

/// Ingests the result; 201 when applied now, 200 with the same records when applied before.
pub async fn submit(
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let authority = state.authority()?;
    if body.len() > state.config.ranking.max_match_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "a certified match result is at most {} bytes",
                state.config.ranking.max_match_bytes
            ),
        ));
    }
    let ingested = authority.ingest(&body, unix_now()).await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut by_player: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in &ingested.records {
        by_player
            .entry(record.player_key.to_string())
            .or_default()
            .push(b64.encode(&record.bytes));
    }
    let status = if ingested.newly_applied {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "match_id": hex::encode(ingested.match_id), "records": by_player })),
    ))
}
