//! Match evidence routes: a case's certified matches and their replays, for its moderators
//! (keys, the signed result, the replay as the relay hashed it) and for its assigned reviewers
//! (pseudonyms, and a replay copy with key-like chat text redacted).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::super::AppState;
use super::super::error::{ApiError, ErrorBody};
use super::super::extract::ApiPath;
use super::service;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::moderation::evidence::MatchEvidence;

/// One match of the listing, with where its replay is.
#[derive(Serialize, ToSchema)]
pub(super) struct ListedEvidence {
    #[serde(flatten)]
    evidence: MatchEvidence,
    /// Whether this server's relay still keeps the replay.
    replay_available: bool,
    /// Where to fetch the replay, when kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_url: Option<String>,
}

/// A case's certified matches.
#[derive(Serialize, ToSchema)]
pub(super) struct EvidenceListing {
    /// The case.
    case_id: String,
    /// The assignment the listing was asked through (reviewers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    assignment_id: Option<String>,
    /// The matches.
    matches: Vec<ListedEvidence>,
}

const MATCH_ID: &str = "The certified match, 64 hex characters";

/// A case's certified matches with keys, signed results and replay links; audited.
#[utoipa::path(get, path = "/v1/moderation/cases/{id}/evidence", tag = "moderation",
    summary = "Moderator: the case's certified matches with keys, signed results and replay \
        links (audited)",
    params(("id" = String, Path, description = "The case")),
    responses((status = 200, body = EvidenceListing),
        (status = 403, body = ErrorBody, description = "`forbidden`"),
        (status = 404, body = ErrorBody, description = "`case_not_found`")))]
pub(super) async fn case_evidence(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EvidenceListing>, ApiError> {
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

/// The replay file as the relay hashed it.
#[utoipa::path(get, path = "/v1/moderation/cases/{id}/replays/{match_id}", tag = "moderation",
    summary = "Moderator: a case match's replay as the relay hashed it",
    params(("id" = String, Path, description = "The case"),
        ("match_id" = String, Path, description = MATCH_ID)),
    responses((status = 200, description = "The replay file",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 403, body = ErrorBody, description = "`forbidden`"),
        (status = 404, body = ErrorBody,
            description = "`case_not_found`, `match_not_in_case` or `replay_not_kept`"),
        (status = 503, body = ErrorBody, description = "`replay_unreadable`")))]
pub(super) async fn case_replay(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, match_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let matches = service(&state)?
        .case_evidence(&principal, &id, unix_now())
        .await?;
    let replay = replay_of(&state, &matches, &match_id).await?;
    Ok(octets(replay))
}

/// The assigned case's certified matches, players by the case's pseudonyms.
#[utoipa::path(get, path = "/v1/review/assignments/{id}/evidence", tag = "review",
    summary = "Reviewer: the assigned case's certified matches, players by the case's pseudonyms",
    params(("id" = String, Path, description = "The assignment")),
    responses((status = 200, body = EvidenceListing),
        (status = 404, body = ErrorBody, description = "`assignment_not_found`")))]
pub(super) async fn assignment_evidence(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EvidenceListing>, ApiError> {
    let (case_id, matches) = service(&state)?
        .assignment_evidence(&principal, &id)
        .await?;
    let Json(mut body) = listing(
        &state,
        &case_id,
        &matches,
        &format!("/v1/review/assignments/{id}"),
    );
    body.assignment_id = Some(id);
    Ok(Json(body))
}

/// The replay with key-like chat text redacted (seats, not keys, name the players in a
/// replay).
#[utoipa::path(get, path = "/v1/review/assignments/{id}/replays/{match_id}", tag = "review",
    summary = "Reviewer: a case match's replay with key-like chat text redacted",
    params(("id" = String, Path, description = "The assignment"),
        ("match_id" = String, Path, description = MATCH_ID)),
    responses((status = 200, description = "The replay file, chat redacted",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ErrorBody, description = "`assignment_not_found`, \
            `match_not_in_case` or `replay_not_kept`"),
        (status = 503, body = ErrorBody, description = "`replay_unreadable`")))]
pub(super) async fn assignment_replay(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, match_id)): ApiPath<(String, String)>,
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
fn listing(
    state: &AppState,
    case_id: &str,
    matches: &[MatchEvidence],
    base: &str,
) -> Json<EvidenceListing> {
    let matches = matches
        .iter()
        .map(|evidence| {
            let kept = hash_of(&evidence.replay_hash)
                .is_some_and(|hash| state.capabilities.keeps_replay(&hash));
            ListedEvidence {
                replay_url: kept.then(|| format!("{base}/replays/{}", evidence.match_id)),
                replay_available: kept,
                evidence: evidence.clone(),
            }
        })
        .collect();
    Json(EvidenceListing {
        case_id: case_id.to_owned(),
        assignment_id: None,
        matches,
    })
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
