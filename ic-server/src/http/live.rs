//! `GET /v1/matches/live` and `POST /v1/matches/live/{game_id}/watch`: the matches the
//! matchmaker placed lately, and community-signed spectator tickets for them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, get, post};
use base64::Engine;
use scr::PlayerKey;
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, Route, route};
use crate::auth::Principal;
use crate::config::Capability;
use crate::matchmaker::{LiveMatch, WatchError};

impl From<WatchError> for ApiError {
    fn from(error: WatchError) -> Self {
        let (status, code) = match error {
            WatchError::NotListed => (StatusCode::NOT_FOUND, "match_not_found"),
            WatchError::Playing => (StatusCode::CONFLICT, "already_playing"),
            WatchError::KeyRotated => (StatusCode::CONFLICT, "signing_key_rotated"),
            WatchError::SigningKeySuperseded(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "signing_key_superseded")
            }
        };
        ApiError::new(status, code, error.to_string())
    }
}

/// The routes of this module.
pub(super) fn routes() -> Vec<Route> {
    let matchmaking = Some(Capability::Matchmaking);
    vec![
        route(
            Method::GET,
            "/v1/matches/live",
            matchmaking,
            false,
            true,
            "Matches the matchmaker placed on a relay in the last two hours, newest first",
        ),
        route(
            Method::POST,
            "/v1/matches/live/{game_id}/watch",
            matchmaking,
            true,
            true,
            "Spectate a placed match: a community-signed observer ticket; the relay delays the \
             game (at least 120 s when ranked) and replays it from the first tick",
        ),
    ]
}

/// The handler of a route of this module.
pub(super) fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("GET", "/v1/matches/live") => get(list),
        ("POST", "/v1/matches/live/{game_id}/watch") => post(watch),
        _ => return None,
    })
}

fn describe(live: &LiveMatch) -> Value {
    json!({
        "game_id": live.game_id(),
        "queue": live.queue,
        "ranked": live.ranked(),
        "teams": live.teams,
        "relay_address": live.relay_address,
        "relay_key": live.relay_key.to_string(),
        "placed_at": live.placed_ms / 1000,
    })
}

/// `GET /v1/matches/live`.
async fn list(State(state): State<AppState>, _caller: Principal) -> Result<Json<Value>, ApiError> {
    let listed = state.matchmaker()?.live_matches();
    Ok(Json(json!({
        "matches": listed.iter().map(describe).collect::<Vec<_>>(),
    })))
}

/// `POST /v1/matches/live/{game_id}/watch`.
async fn watch(
    State(state): State<AppState>,
    principal: Principal,
    Path(game_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let (live, ticket) = state
        .matchmaker()?
        .spectator_ticket(game_id, PlayerKey::from(principal.key))?;
    let mut body = describe(&live);
    body["role"] = json!("spectator");
    body["ticket"] = json!(base64::engine::general_purpose::STANDARD.encode(ticket.as_bytes()));
    Ok(Json(body))
}
