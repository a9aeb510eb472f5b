//! `POST /v1/matches`: a relay submits a certified match result (raw bytes).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiBytes;
use super::{AppState, RouteGroup};
use crate::clock::unix_now;
use crate::config::Capability;
use utoipa_axum::routes;

/// The records a certified result produced.
#[derive(Serialize, ToSchema)]
pub struct IngestReceipt {
    /// The result's id, 64 hex.
    match_id: String,
    /// Per player key, the base64 records issued for the match.
    records: BTreeMap<String, Vec<String>>,
}

/// The route of this module: relays submit without a token (the result is signed), limited.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(Some(Capability::Ranking))
            .limited()
            .route(routes!(submit)),
    ]
}

/// Ingests the result; 201 when applied now, 200 with the same records when applied before.
#[utoipa::path(post, path = "/v1/matches", tag = "matches",
    summary = "Submit a certified match result",
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "A CertifiedMatchResult as the relay signed it (docs/cmr-format.md)"),
    responses((status = 201, body = IngestReceipt, description = "Applied now"),
        (status = 200, body = IngestReceipt, description = "Applied before: the same records"),
        (status = 400, body = ErrorBody, description = "The bytes do not decode: `truncated`, \
            `bad_utf8`, `too_long`, `trailing_bytes`, `unknown_version`, `undefined_value`, \
            `no_players`, `slots_not_ascending`, `ends_before_start`, \
            `outcome_not_in_players`, `desync_tick_mismatch`, `string_too_long` or \
            `wrong_signing_key`"),
        (status = 403, body = ErrorBody, description = "`untrusted_relay`, `wrong_community`, \
            `bad_signature`, `weak_key` or `non_canonical_signature`"),
        (status = 413, body = ErrorBody, description = "`body_too_large`"),
        (status = 422, body = ErrorBody, description = "`unregistered_player`, \
            `unknown_game_module` or `invalid_match`"),
        (status = 503, body = ErrorBody, description = "`busy`, `storage_unavailable`, \
            `signing_key_superseded` or `timeout`")))]
pub(super) async fn submit(
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<IngestReceipt>), ApiError> {
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
    let mut records: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in &ingested.records {
        records
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
        Json(IngestReceipt {
            match_id: hex::encode(ingested.match_id),
            records,
        }),
    ))
}
