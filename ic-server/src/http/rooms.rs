//! `POST /v1/rooms`, `/v1/rooms/{code}/join` and `/v1/rooms/{code}/watch`: custom unranked games
//! on this server's relay, shared by a short code; answers carry the relay and the caller's ticket.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, get, post};
use base64::Engine;
use scr::PlayerKey;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::ApiJson;
use super::{AppState, Route, route};
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::config::Capability;
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
            RoomError::NoFreeCode => StatusCode::SERVICE_UNAVAILABLE,
            RoomError::Ticket(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(%error, "room request failed");
        }
        ApiError::new(status, error.code(), error.to_string())
    }
}

/// Body of `POST /v1/rooms`.
#[derive(Debug, Deserialize)]
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
}

/// The routes of this module.
pub(super) fn routes() -> Vec<Route> {
    let relay = Some(Capability::Relay);
    vec![
        route(
            Method::GET,
            "/v1/rooms",
            relay,
            false,
            false,
            "Listed rooms that have a free seat and whose game has not started, newest first",
        ),
        route(
            Method::POST,
            "/v1/rooms",
            relay,
            true,
            true,
            "Open a custom unranked room; returns its code, the relay and the host's ticket",
        ),
        route(
            Method::POST,
            "/v1/rooms/{code}/join",
            relay,
            true,
            true,
            "Take a seat in a room by its code; returns the relay and the caller's ticket",
        ),
        route(
            Method::POST,
            "/v1/rooms/{code}/watch",
            relay,
            true,
            true,
            "Spectate a room by its code: an observer ticket; the game arrives delayed, from \
             its first tick even when joining mid-match",
        ),
    ]
}

/// The handler of a room route.
pub(super) fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("GET", "/v1/rooms") => get(list),
        ("POST", "/v1/rooms") => post(open),
        ("POST", "/v1/rooms/{code}/join") => post(join),
        ("POST", "/v1/rooms/{code}/watch") => post(watch),
        _ => return None,
    })
}

/// `GET /v1/rooms`.
async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (relay, rooms) = state.rooms()?;
    let listed = rooms.listed(unix_now(), |id| relay.game_state(id));
    let rooms: Vec<Value> = listed
        .iter()
        .map(|room| {
            json!({
                "code": room.code,
                "module": room.module,
                "map_name": room.map_name,
                "seated": room.seated,
                "players": room.players,
                "teams": room.teams,
                "opened_at": room.opened_at,
            })
        })
        .collect();
    Ok(Json(json!({ "rooms": rooms })))
}

/// `POST /v1/rooms`.
async fn open(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<OpenBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
        ..duel
    };
    let seat = rooms.open(PlayerKey::from(principal.key), request, unix_now(), |id| {
        relay.game_state(id)
    })?;
    Ok((StatusCode::CREATED, Json(seat_body(&state, &seat))))
}

/// `POST /v1/rooms/{code}/join`.
async fn join(
    State(state): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (relay, rooms) = state.rooms()?;
    let seat = rooms.join(&code, PlayerKey::from(principal.key), unix_now(), |id| {
        relay.game_state(id)
    })?;
    Ok(Json(seat_body(&state, &seat)))
}

/// `POST /v1/rooms/{code}/watch`.
async fn watch(
    State(state): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (relay, rooms) = state.rooms()?;
    let seat = rooms.watch(&code, PlayerKey::from(principal.key), unix_now(), |id| {
        relay.game_state(id)
    })?;
    Ok(Json(seat_body(&state, &seat)))
}

fn seat_body(state: &AppState, seat: &Seat) -> Value {
    let relay = state.capabilities.own_relay();
    let (role, slot, team) = match seat.seat {
        TicketSeat::Player { slot, team } => ("player", Some(slot.0), Some(team.0)),
        TicketSeat::Observer => ("spectator", None, None),
    };
    json!({
        "code": seat.code,
        "game_id": seat.game_id,
        "role": role,
        "slot": slot,
        "team": team,
        "ticket": base64::engine::general_purpose::STANDARD.encode(&seat.ticket),
        "expires_at": seat.expires_at,
        "relay_address": relay.map(|r| r.address.clone()),
        "relay_key": relay.map(|r| r.key.to_string()),
    })
}
