//! Matchmaking over HTTP: join with a presented rating record, confirm a party, leave, answer
//! a ready check, and the event stream (server-sent events) that tells a player what happens.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use base64::Engine;
use futures_util::Stream;
use scr::PlayerKey;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::{AppState, RouteGroup};
use crate::auth::Principal;
use crate::config::Capability;
use crate::federation::PresentedCredential;
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
            MatchmakerError::NotYourRecord
            | MatchmakerError::Cooldown { .. }
            | MatchmakerError::RequirementUnmet(_) => StatusCode::FORBIDDEN,
            MatchmakerError::Credential(error) => super::trust::credential_status(error),
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The caller's rating record, base64.
    record: String,
    /// `ranked_1v1`, `ranked_2v2`, ….
    #[schema(value_type = String, example = "ranked_1v1")]
    mode: QueueMode,
    /// Acceptable regions.
    #[serde(default)]
    regions: Vec<String>,
    /// Party members to invite.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    party: Vec<PlayerKey>,
    /// Keys to avoid (best effort).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    avoid: Vec<PlayerKey>,
    /// Records presented for the queue's trust requirement (none needed without one).
    #[serde(default)]
    credentials: Vec<PresentedCredential>,
}

/// What became of a join or a party confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinAnswer {
    /// `queued`, or `party_pending` until every invited member confirms.
    status: &'static str,
    /// The party, while it waits for its members.
    #[serde(skip_serializing_if = "Option::is_none")]
    party_id: Option<u64>,
}

/// What a queue action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueActionAnswer {
    /// `left`, `accepted`, `declined` or `banned`.
    status: &'static str,
}

/// Where the caller stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueStatus {
    /// The events that describe it, as the event stream would send them.
    events: Vec<QueueEvent>,
}

/// Body of a party confirmation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The member's rating record, base64.
    record: String,
    /// Records presented for the queue's trust requirement (none needed without one).
    #[serde(default)]
    credentials: Vec<PresentedCredential>,
}

fn decode_record(text: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ApiError::bad_request("invalid_base64", "record must be standard base64"))
}

fn joined_body(joined: Joined) -> (StatusCode, Json<JoinAnswer>) {
    let body = match joined {
        Joined::Queued => JoinAnswer {
            status: "queued",
            party_id: None,
        },
        Joined::PartyPending { party_id } => JoinAnswer {
            status: "party_pending",
            party_id: Some(party_id),
        },
    };
    (StatusCode::ACCEPTED, Json(body))
}

fn done(status: &'static str) -> Json<QueueActionAnswer> {
    Json(QueueActionAnswer { status })
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    let matchmaking = Some(Capability::Matchmaking);
    vec![
        RouteGroup::new(matchmaking)
            .authenticated()
            .route(routes!(status))
            .route(routes!(events)),
        RouteGroup::new(matchmaking)
            .limited()
            .authenticated()
            .route(routes!(join))
            .route(routes!(leave))
            .route(routes!(confirm_party))
            .route(routes!(accept))
            .route(routes!(decline))
            .route(routes!(ban)),
    ]
}

/// Joins a queue with a presented rating record, or invites a party.
#[utoipa::path(post, path = "/v1/queue", tag = "queue",
    summary = "Join a queue with a presented rating record (or invite a party)",
    request_body = JoinBody,
    responses((status = 202, body = JoinAnswer),
        (status = 400, body = ErrorBody, description = "`invalid_base64`, `invalid_url` or \
            `too_many_credentials`"),
        (status = 403, body = ErrorBody, description = "`not_your_record`, `queue_cooldown` or \
            `requirement_unmet`"),
        (status = 404, body = ErrorBody, description = "`unknown_queue`"),
        (status = 409, body = ErrorBody, description = "`already_queued`"),
        (status = 422, body = ErrorBody, description = "`record_invalid`, `season_expired`, \
            `not_a_rating_record`, `avoid_list_too_long`, `party_too_large`, `party_tier_gap`, \
            `credential_invalid` or `community_unavailable`")))]
async fn join(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<(StatusCode, Json<JoinAnswer>), ApiError> {
    let matchmaker = state.matchmaker()?;
    let record = decode_record(&body.record)?;
    let choices = JoinChoices {
        mode: body.mode,
        regions: body.regions,
        party: body.party,
        avoid: body.avoid,
    };
    let joined = matchmaker
        .join(
            &PlayerKey::from(principal.key),
            &record,
            &body.credentials,
            choices,
        )
        .await?;
    Ok(joined_body(joined))
}

/// Confirms a party invitation with the member's rating record.
#[utoipa::path(post, path = "/v1/queue/parties/{id}/confirm", tag = "queue",
    summary = "Confirm a party invitation with the member's rating record",
    params(("id" = u64, Path, description = "The party, from the `party_invite` event")),
    request_body = ConfirmBody,
    responses((status = 202, body = JoinAnswer),
        (status = 400, body = ErrorBody, description = "`invalid_base64`, `invalid_url` or \
            `too_many_credentials`"),
        (status = 403, body = ErrorBody, description = "`not_your_record`, `queue_cooldown` or \
            `requirement_unmet`"),
        (status = 404, body = ErrorBody, description = "`not_invited`"),
        (status = 409, body = ErrorBody, description = "`already_queued`"),
        (status = 422, body = ErrorBody, description = "`record_invalid`, `season_expired`, \
            `not_a_rating_record`, `party_tier_gap`, `credential_invalid` or \
            `community_unavailable`")))]
async fn confirm_party(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(party_id): ApiPath<u64>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<(StatusCode, Json<JoinAnswer>), ApiError> {
    let matchmaker = state.matchmaker()?;
    let record = decode_record(&body.record)?;
    let joined = matchmaker
        .confirm_party(
            &PlayerKey::from(principal.key),
            party_id,
            &record,
            &body.credentials,
        )
        .await?;
    Ok(joined_body(joined))
}

/// Leaves the queue (declines a pending match).
#[utoipa::path(delete, path = "/v1/queue", tag = "queue",
    summary = "Leave the queue (declines a pending match)",
    responses((status = 200, body = QueueActionAnswer),
        (status = 404, body = ErrorBody, description = "`not_queued`")))]
async fn leave(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<QueueActionAnswer>, ApiError> {
    state
        .matchmaker()?
        .leave(&PlayerKey::from(principal.key))
        .await?;
    Ok(done("left"))
}

/// Where the caller stands, as the events that describe it.
#[utoipa::path(get, path = "/v1/queue", tag = "queue",
    summary = "Where the caller stands in matchmaking",
    responses((status = 200, body = QueueStatus)))]
async fn status(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<QueueStatus>, ApiError> {
    let events = state
        .matchmaker()?
        .status(&PlayerKey::from(principal.key))
        .await?;
    Ok(Json(QueueStatus { events }))
}

/// Accepts a found match.
#[utoipa::path(post, path = "/v1/queue/matches/{id}/accept", tag = "queue",
    summary = "Accept a found match",
    params(("id" = u64, Path, description = "The match, from the `match_found` event")),
    responses((status = 200, body = QueueActionAnswer),
        (status = 404, body = ErrorBody, description = "`no_such_match`")))]
async fn accept(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(match_id): ApiPath<u64>,
) -> Result<Json<QueueActionAnswer>, ApiError> {
    state
        .matchmaker()?
        .accept(&PlayerKey::from(principal.key), match_id)
        .await?;
    Ok(done("accepted"))
}

/// Declines a found match (earns a cooldown).
#[utoipa::path(post, path = "/v1/queue/matches/{id}/decline", tag = "queue",
    summary = "Decline a found match (earns a cooldown)",
    params(("id" = u64, Path, description = "The match, from the `match_found` event")),
    responses((status = 200, body = QueueActionAnswer),
        (status = 404, body = ErrorBody, description = "`no_such_match`")))]
async fn decline(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(match_id): ApiPath<u64>,
) -> Result<Json<QueueActionAnswer>, ApiError> {
    state
        .matchmaker()?
        .decline(&PlayerKey::from(principal.key), match_id)
        .await?;
    Ok(done("declined"))
}

/// Body of `POST /v1/queue/matches/{id}/ban`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanBody {
    /// The map to ban, one of those the last `map_veto` event listed.
    map: String,
}

/// The caller's side bans a map in the veto.
#[utoipa::path(post, path = "/v1/queue/matches/{id}/ban", tag = "queue",
    summary = "Ban a map in a ranked match's map veto (the caller's side, on its turn)",
    params(("id" = u64, Path, description = "The match, from the `map_veto` event")),
    request_body = BanBody,
    responses((status = 200, body = QueueActionAnswer),
        (status = 404, body = ErrorBody, description = "`no_such_match`"),
        (status = 409, body = ErrorBody, description = "`not_your_turn`"),
        (status = 422, body = ErrorBody, description = "`unknown_map`")))]
async fn ban(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(match_id): ApiPath<u64>,
    ApiJson(body): ApiJson<BanBody>,
) -> Result<Json<QueueActionAnswer>, ApiError> {
    // No pool has a longer name (the ticket's limit); the leader need not see it.
    if body.map.len() > 255 {
        return Err(MatchmakerError::UnknownMap("(too long)".into()).into());
    }
    state
        .matchmaker()?
        .ban(&PlayerKey::from(principal.key), match_id, &body.map)
        .await?;
    Ok(done("banned"))
}

/// Server-sent events, each a JSON object tagged by `event`; first the events describing where
/// the caller stands, then every new one.
#[utoipa::path(get, path = "/v1/queue/events", tag = "queue",
    summary = "Server-sent queue events: queued, match found, map veto, match ready, requeued, \
        cancelled",
    responses((status = 200, description = "`text/event-stream`; each event's `data` is one \
        QueueEvent as JSON, and its SSE event name is the QueueEvent's `event`",
        content_type = "text/event-stream", body = QueueEvent)))]
async fn events(
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
