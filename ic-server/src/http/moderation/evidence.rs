//! Match evidence routes: a case's certified matches and their replays, for its moderators
//! (keys, the signed result, the replay as the relay hashed it) and for its assigned reviewers
//! (pseudonyms, and a replay copy with key-like chat text redacted).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::AppState;
use super::super::error::ApiError;
use super::service;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::moderation::evidence::MatchEvidence;

/// `GET /v1/moderation/cases/{id}/evidence`.
pub(super) async fn case_evidence(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let matches = service(&state)?
        .case_evidence(&principal, &id, unix_now())
        .await?;
    Ok(listing(
        &state,
        &id,
        &matches,
        &format!("/v1/moderation/cases/{id}"),
    ))
}

/// `GET /v1/moderation/cases/{id}/replays/{match_id}`: the replay file as the relay hashed it.
pub(super) async fn case_replay(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, match_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let matches = service(&state)?
        .case_evidence(&principal, &id, unix_now())
        .await?;
    let replay = replay_of(&state, &matches, &match_id).await?;
    Ok(octets(replay))
}

/// `GET /v1/review/assignments/{id}/evidence`.
pub(super) async fn assignment_evidence(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (case_id, matches) = service(&state)?
        .assignment_evidence(&principal, &id)
        .await?;
    let Json(mut body) = listing(
        &state,
        &case_id,
        &matches,
        &format!("/v1/review/assignments/{id}"),
    );
    body["assignment_id"] = json!(id);
    Ok(Json(body))
}

/// `GET /v1/review/assignments/{id}/replays/{match_id}`: the replay with key-like chat text
/// redacted (seats, not keys, name the players in a replay).
pub(super) async fn assignment_replay(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, match_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, matches) = service(&state)?
        .assignment_evidence(&principal, &id)
        .await?;
    let replay = replay_of(&state, &matches, &match_id).await?;
    let redacted =
        crate::moderation::evidence::redact_chat(&replay, crate::moderation::redact::redact_keys)
            .map_err(|error| {
            tracing::error!(%error, "a kept replay does not decode");
            replay_not_kept()
        })?;
    Ok(octets(redacted))
}

/// The evidence listing: each match with whether its replay is still kept and where.
fn listing(state: &AppState, case_id: &str, matches: &[MatchEvidence], base: &str) -> Json<Value> {
    let mut listed = Vec::with_capacity(matches.len());
    for evidence in matches {
        let kept = hash_of(&evidence.replay_hash)
            .is_some_and(|hash| state.capabilities.keeps_replay(&hash));
        let mut entry = json!(evidence);
        entry["replay_available"] = json!(kept);
        if kept {
            entry["replay_url"] = json!(format!("{base}/replays/{}", evidence.match_id));
        }
        listed.push(entry);
    }
    Json(json!({ "case_id": case_id, "matches": listed }))
}

/// The replay of `match_id`, which must be one of the case's `matches`.
async fn replay_of(
    state: &AppState,
    matches: &[MatchEvidence],
    match_id: &str,
) -> Result<Vec<u8>, ApiError> {
    let evidence = matches
        .iter()
        .find(|m| m.match_id == match_id.to_ascii_lowercase())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "match_not_in_case",
                "the case names no certified match with this id",
            )
        })?;
    kept(state, &evidence.replay_hash)
        .await?
        .ok_or_else(replay_not_kept)
}

/// The 32 bytes of a hex `replay_hash`.
fn hash_of(replay_hash: &str) -> Option<[u8; 32]> {
    hex::decode(replay_hash).ok()?.try_into().ok()
}

/// The replay kept under `replay_hash` (hex) by this server's relay.
async fn kept(state: &AppState, replay_hash: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(hash) = hash_of(replay_hash) else {
        return Ok(None);
    };
    #[cfg(feature = "relay")]
    if let Some(relay) = &state.capabilities.relay {
        return relay.kept_replay(hash).await.map_err(|error| {
            tracing::error!(%error, "reading a replay failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "replay_unreadable",
                "the replay could not be read; try again later",
            )
        });
    }
    let _ = (state, hash);
    Ok(None)
}

fn replay_not_kept() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "replay_not_kept",
        "this server's relay does not keep this match's replay (played elsewhere, replays off, \
         or older than relay.replay_retention_days)",
    )
}

fn octets(bytes: Vec<u8>) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .unwrap_or_default()
}
