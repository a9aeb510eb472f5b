//! Matchmaking over HTTP: join with a presented rating record, confirm a party, leave, answer
//! a ready check, and the event stream (server-sent events) that tells a player what happens.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{MethodRouter, delete, get, post};
use base64::Engine;
use futures_util::Stream;
use scr::PlayerKey;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::auth::Principal;
use crate::matchmaker::{JoinChoices, Joined, MatchmakerError, QueueEvent};
use crate::matchmaking::QueueMode;

impl From<MatchmakerError> for ApiError {
    fn from(error: MatchmakerError) -> Self {
        let status = match &error {
            MatchmakerError::RecordInvalid(_)
            | MatchmakerError::SeasonExpired { .. }
            | MatchmakerError::NotARatingRecord
            | MatchmakerError::AvoidListTooLong { .. }
            | MatchmakerError::PartyTooLarge { .. }
            | MatchmakerError::PartyTierGap => StatusCode::UNPROCESSABLE_ENTITY,
            MatchmakerError::NotYourRecord | MatchmakerError::Cooldown { .. } => {
                StatusCode::FORBIDDEN
            }
            MatchmakerError::UnknownQueue { .. }
            | MatchmakerError::NotQueued
            | MatchmakerError::NotInvited
            | MatchmakerError::NoSuchMatch => StatusCode::NOT_FOUND,
            MatchmakerError::AlreadyQueued | MatchmakerError::NotYourTurn => StatusCode::CONFLICT,
            MatchmakerError::UnknownMap(_) => StatusCode::UNPROCESSABLE_ENTITY,
            MatchmakerError::Store(_) | MatchmakerError::Unanswered => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        if status.is_server_error() {
            tracing::error!(%error, "matchmaking request failed");
        }
        ApiError::new(status, error.code(), error.to_string())
    }
}

/// Body of `POST /v1/queue`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The caller's rating record, base64.
    record: String,
    /// `ranked_1v1`, `ranked_2v2`, ….
    mode: QueueMode,
    /// Acceptable regions.
    #[serde(default)]
    regions: Vec<String>,
    /// Party members to invite.
    #[serde(default)]
    party: Vec<PlayerKey>,
    /// Keys to avoid (best effort).
    #[serde(default)]
    avoid: Vec<PlayerKey>,
}

/// Body of a party confirmation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The member's rating record, base64.
    record: String,
}

fn decode_record(text: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ApiError::bad_request("invalid_base64", "record must be standard base64"))
}

fn joined_body(joined: Joined) -> (StatusCode, Json<Value>) {
    let body = match joined {
        Joined::Queued => json!({ "status": "queued" }),
        Joined::PartyPending { party_id } => {
            json!({ "status": "party_pending", "party_id": party_id })
        }
    };
    (StatusCode::ACCEPTED, Json(body))
}

/// `POST /v1/queue`.
pub async fn join(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let matchmaker = state.matchmaker()?;
    let record = decode_record(&body.record)?;
    let choices = JoinChoices {
        mode: body.mode,
        regions: body.regions,
        party: body.party,
        avoid: body.avoid,
    };
    let joined = matchmaker
        .join(&PlayerKey::from(principal.key), &record, choices)
        .await?;
    Ok(joined_body(joined))
}

/// `POST /v1/queue/parties/{id}/confirm`.
pub async fn confirm_party(
    State(state): State<AppState>,
    principal: Principal,
    Path(party_id): Path<u64>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let matchmaker = state.matchmaker()?;
    let record = decode_record(&body.record)?;
    let joined = matchmaker
        .confirm_party(&PlayerKey::from(principal.key), party_id, &record)
        .await?;
    Ok(joined_body(joined))
}

/// `DELETE /v1/queue`.
pub async fn leave(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    state
        .matchmaker()?
        .leave(&PlayerKey::from(principal.key))
        .await?;
    Ok(Json(json!({ "status": "left" })))
}

/// `GET /v1/queue`: where the caller stands, as the events that describe it.
pub async fn status(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let events = state
        .matchmaker()?
        .status(&PlayerKey::from(principal.key))
        .await?;
    Ok(Json(json!({ "events": events })))
}

/// `POST /v1/queue/matches/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    principal: Principal,
    Path(match_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    state
        .matchmaker()?
        .accept(&PlayerKey::from(principal.key), match_id)
        .await?;
    Ok(Json(json!({ "status": "accepted" })))
}

/// `POST /v1/queue/matches/{id}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    principal: Principal,
    Path(match_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    state
        .matchmaker()?
        .decline(&PlayerKey::from(principal.key), match_id)
        .await?;
    Ok(Json(json!({ "status": "declined" })))
}

/// Body of `POST /v1/queue/matches/{id}/ban`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanBody {
    /// The map to ban, one of those the last `map_veto` event listed.
    map: String,
}

/// `POST /v1/queue/matches/{id}/ban`: the caller's side bans a map in the veto.
pub async fn ban(
    State(state): State<AppState>,
    principal: Principal,
    Path(match_id): Path<u64>,
    ApiJson(body): ApiJson<BanBody>,
) -> Result<Json<Value>, ApiError> {
    // No pool has a longer name (the ticket's limit); the leader need not see it.
    if body.map.len() > 255 {
        return Err(MatchmakerError::UnknownMap("(too long)".into()).into());
    }
    state
        .matchmaker()?
        .ban(&PlayerKey::from(principal.key), match_id, &body.map)
        .await?;
    Ok(Json(json!({ "status": "banned" })))
}

/// `GET /v1/queue/events`: server-sent events, each a JSON object tagged by `event`; first
/// the events describing where the caller stands, then every new one.
pub async fn events(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let matchmaker = state.matchmaker()?.clone();
    let (first, receiver, guard) = matchmaker.subscribe(PlayerKey::from(principal.key)).await?;
    // The stream ends when the server shuts down; the client reconnects elsewhere (or later)
    // and its queue entry waits for it meanwhile (entry_ttl_secs).
    let stopping = state.stopping.subscribe();
    let stream = futures_util::stream::unfold(
        (first.into_iter(), receiver, guard, stopping),
        |(mut first, mut receiver, guard, mut stopping)| async move {
            let event = match first.next() {
                Some(event) => event,
                None => loop {
                    tokio::select! {
                        received = receiver.recv() => match received {
                            Ok(event) => break event,
                            // A slow reader lost old events; what stands now is in
                            // GET /v1/queue.
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return None,
                        },
                        _ = stopping.wait_for(|stopping| *stopping) => return None,
                    }
                },
            };
            Some((Ok(sse_event(&event)), (first, receiver, guard, stopping)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn sse_event(event: &QueueEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    let name = serde_json::to_value(event)
        .ok()
        .and_then(|v| v["event"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "message".into());
    Event::default().event(name).data(data)
}

/// The handler of a matchmaking route.
pub(super) fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("POST", "/v1/queue") => post(join),
        ("GET", "/v1/queue") => get(status),
        ("DELETE", "/v1/queue") => delete(leave),
        ("GET", "/v1/queue/events") => get(events),
        ("POST", "/v1/queue/parties/{id}/confirm") => post(confirm_party),
        ("POST", "/v1/queue/matches/{id}/accept") => post(accept),
        ("POST", "/v1/queue/matches/{id}/decline") => post(decline),
        ("POST", "/v1/queue/matches/{id}/ban") => post(ban),
        _ => return None,
    })
}
