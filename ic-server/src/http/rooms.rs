//! `POST /v1/rooms`, `/v1/rooms/{code}/join` and `/v1/rooms/{code}/watch`: custom unranked games
//! on this server's relay, shared by a short code; answers carry the relay and the caller's ticket.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use scr::PlayerKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiJsonOrEmpty, ApiPath};
use super::{AppState, RouteGroup};
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::config::Capability;
use crate::federation::{
    Credential, OwnCommunity, PresentedCredential, TrustRequirement, verify_credentials,
};
use crate::relay::rooms::{RoomError, RoomRequest, Seat};
use relay_core::ticket::TicketSeat;

impl From<RoomError> for ApiError {
    fn from(error: RoomError) -> Self {
        let status = match &error {
            RoomError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RoomError::NotFound => StatusCode::NOT_FOUND,
            RoomError::Full | RoomError::SpectatorsFull | RoomError::AlreadyPlaying => {
                StatusCode::CONFLICT
            }
            RoomError::RequirementUnmet(_) => StatusCode::FORBIDDEN,
            RoomError::NoFreeCode | RoomError::RoomsFull => StatusCode::SERVICE_UNAVAILABLE,
            RoomError::TooManyRooms(_) => StatusCode::TOO_MANY_REQUESTS,
            RoomError::Ticket(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(%error, "room request failed");
        }
        ApiError::new(status, error.code(), error.to_string())
    }
}

/// Body of `POST /v1/rooms`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// Game module.
    module: String,
    /// Seats (default: a duel's 2).
    players: Option<u8>,
    /// Teams (default: a duel's 2; seat `i` plays for team `i % teams`).
    teams: Option<u8>,
    /// Map name (default: chosen in the game's lobby).
    #[serde(default)]
    map_name: String,
    /// SHA-256 of the map file, 64 hex characters (default: zeros).
    #[serde(default)]
    map_hash: Option<String>,
    /// Ticks per second (default: the relay's 15).
    tick_rate: Option<u32>,
    /// Show the room in the community's list of open rooms (default: found by code only).
    #[serde(default)]
    listed: bool,
    /// What the room requires of its players' records, the host's included (default: none).
    #[serde(default)]
    requires: TrustRequirement,
    /// Records the host presents to meet `requires`.
    #[serde(default)]
    credentials: Vec<PresentedCredential>,
}

/// Body of `POST /v1/rooms/{code}/join` (optional: without a requirement nothing is needed).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRoomBody {
    /// Records presented to meet the room's requirement; verified at every join.
    #[serde(default)]
    credentials: Vec<PresentedCredential>,
}

/// A listed room with a free seat.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomListing {
    /// The code to join it by.
    code: String,
    /// Game module.
    module: String,
    /// Map name (empty: chosen in the game's lobby).
    map_name: String,
    /// Seats taken.
    seated: u8,
    /// Seats in all.
    players: u8,
    /// Teams.
    teams: u8,
    /// Unix seconds it was opened.
    opened_at: i64,
    /// What it requires of its players' records.
    requires: TrustRequirement,
}

/// The listed rooms.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomList {
    /// Newest first.
    rooms: Vec<RoomListing>,
}

/// A seat in a room: where to connect and the ticket to connect with.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomSeat {
    /// The room's code.
    code: String,
    /// The relay's game id.
    game_id: u64,
    /// `player` or `spectator`.
    role: &'static str,
    /// The player's slot (none for a spectator).
    slot: Option<u8>,
    /// The player's team (none for a spectator).
    team: Option<u8>,
    /// The relay ticket, base64.
    ticket: String,
    /// Unix seconds after which the ticket is refused.
    expires_at: i64,
    /// Relay address (`host:port`, UDP).
    relay_address: Option<String>,
    /// The relay's key, to pin.
    relay_key: Option<String>,
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    let relay = Some(Capability::Relay);
    vec![
        RouteGroup::new(relay).route(routes!(list)),
        RouteGroup::new(relay)
            .limited()
            .authenticated()
            .route(routes!(open))
            .route(routes!(join))
            .route(routes!(watch)),
    ]
}

/// The listed rooms.
#[utoipa::path(get, path = "/v1/rooms", tag = "rooms",
    summary = "Listed rooms that have a free seat and whose game has not started, newest first",
    responses((status = 200, body = RoomList)))]
async fn list(State(state): State<AppState>) -> Result<Json<RoomList>, ApiError> {
    let (relay, rooms) = state.rooms()?;
    let listed = rooms.listed(unix_now(), |id| relay.game_state(id));
    let rooms = listed
        .into_iter()
        .map(|room| RoomListing {
            code: room.code,
            module: room.module,
            map_name: room.map_name,
            seated: room.seated,
            players: room.players,
            teams: room.teams,
            opened_at: room.opened_at,
            requires: room.requires,
        })
        .collect();
    Ok(Json(RoomList { rooms }))
}

/// Opens a room.
#[utoipa::path(post, path = "/v1/rooms", tag = "rooms",
    summary = "Open a custom unranked room; returns its code, the relay and the host's ticket",
    request_body = OpenBody,
    responses((status = 201, body = RoomSeat),
        (status = 400, body = ErrorBody, description = "`invalid_map_hash`, `invalid_base64`, \
            `invalid_url` or `too_many_credentials`"),
        (status = 403, body = ErrorBody, description = "`requirement_unmet`"),
        (status = 409, body = ErrorBody, description = "`already_playing`"),
        (status = 422, body = ErrorBody, description = "`invalid_room`, `credential_invalid` or \
            `community_unavailable`"),
        (status = 429, body = ErrorBody, description = "`too_many_rooms`"),
        (status = 503, body = ErrorBody, description = "`rooms_full`")))]
async fn open(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<OpenBody>,
) -> Result<(StatusCode, Json<RoomSeat>), ApiError> {
    let (relay, rooms) = state.rooms()?;
    let map_hash = match &body.map_hash {
        None => [0; 32],
        Some(text) => hex::decode(text)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                ApiError::bad_request("invalid_map_hash", "map_hash must be 64 hex characters")
            })?,
    };
    let duel = RoomRequest::duel(&body.module);
    let request = RoomRequest {
        players: body.players.unwrap_or(duel.players),
        teams: body.teams.unwrap_or(duel.teams),
        map_name: body.map_name,
        map_hash,
        tick_rate: body.tick_rate.unwrap_or(duel.tick_rate),
        listed: body.listed,
        requires: body.requires,
        ..duel
    };
    let host = PlayerKey::from(principal.key);
    let credentials = verified(&state, &host, &body.credentials).await?;
    let seat = rooms.open(host, request, &credentials, unix_now(), |id| {
        relay.game_state(id)
    })?;
    Ok((StatusCode::CREATED, Json(seat_body(&state, &seat))))
}

/// Takes a seat by code.
#[utoipa::path(post, path = "/v1/rooms/{code}/join", tag = "rooms",
    summary = "Take a seat in a room by its code; returns the relay and the caller's ticket",
    params(("code" = String, Path, description = "The room's code")),
    request_body = Option<JoinRoomBody>,
    responses((status = 200, body = RoomSeat),
        (status = 400, body = ErrorBody, description = "`invalid_base64`, `invalid_url` or \
            `too_many_credentials`"),
        (status = 403, body = ErrorBody, description = "`requirement_unmet`"),
        (status = 404, body = ErrorBody, description = "`room_not_found`"),
        (status = 409, body = ErrorBody, description = "`room_full` or `already_playing`"),
        (status = 422, body = ErrorBody, description = "`credential_invalid` or \
            `community_unavailable`")))]
async fn join(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
    ApiJsonOrEmpty(body): ApiJsonOrEmpty<JoinRoomBody>,
) -> Result<Json<RoomSeat>, ApiError> {
    let (relay, rooms) = state.rooms()?;
    let player = PlayerKey::from(principal.key);
    let credentials = verified(&state, &player, &body.credentials).await?;
    let seat = rooms.join(&code, player, &credentials, unix_now(), |id| {
        relay.game_state(id)
    })?;
    Ok(Json(seat_body(&state, &seat)))
}

/// The presented records of `player`, verified now (never cached across joins).
async fn verified(
    state: &AppState,
    player: &PlayerKey,
    presented: &[PresentedCredential],
) -> Result<Vec<Credential>, ApiError> {
    let own = OwnCommunity {
        store: state.store.as_ref(),
        chain: &state.community.current().chain,
    };
    Ok(verify_credentials(
        &state.remote_communities,
        own,
        player,
        presented,
        unix_now(),
    )
    .await?)
}

/// Spectates a room by code.
#[utoipa::path(post, path = "/v1/rooms/{code}/watch", tag = "rooms",
    summary = "Spectate a room by its code: an observer ticket; the game arrives delayed, from \
        its first tick even when joining mid-match",
    params(("code" = String, Path, description = "The room's code")),
    responses((status = 200, body = RoomSeat),
        (status = 404, body = ErrorBody, description = "`room_not_found`"),
        (status = 409, body = ErrorBody, description = "`spectators_full`")))]
async fn watch(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<RoomSeat>, ApiError> {
    let (relay, rooms) = state.rooms()?;
    let seat = rooms.watch(&code, PlayerKey::from(principal.key), unix_now(), |id| {
        relay.game_state(id)
    })?;
    Ok(Json(seat_body(&state, &seat)))
}

fn seat_body(state: &AppState, seat: &Seat) -> RoomSeat {
    let relay = state.capabilities.own_relay();
    let (role, slot, team) = match seat.seat {
        TicketSeat::Player { slot, team } => ("player", Some(slot.0), Some(team.0)),
        TicketSeat::Observer => ("spectator", None, None),
    };
    RoomSeat {
        code: seat.code.clone(),
        game_id: seat.game_id,
        role,
        slot,
        team,
        ticket: base64::engine::general_purpose::STANDARD.encode(&seat.ticket),
        expires_at: seat.expires_at,
        relay_address: relay.map(|r| r.address.clone()),
        relay_key: relay.map(|r| r.key.to_string()),
    }
}
