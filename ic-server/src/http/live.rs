//! `GET /v1/matches/live` and `POST /v1/matches/live/{game_id}/watch`: the matches the
//! matchmaker placed lately, and community-signed spectator tickets for them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use scr::PlayerKey;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiPath;
use super::{AppState, RouteGroup};
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

/// A match the matchmaker placed.
#[derive(Serialize, ToSchema)]
pub struct LiveMatchView {
    /// The relay's game id.
    game_id: u64,
    /// `module/mode` of the queue.
    queue: String,
    /// Whether results change ratings.
    ranked: bool,
    /// The players of team 0 and team 1.
    teams: Vec<Vec<String>>,
    /// Relay address (`host:port`, UDP).
    relay_address: String,
    /// The relay's key, to pin.
    relay_key: String,
    /// Unix seconds it was placed.
    placed_at: u64,
}

/// The placed matches.
#[derive(Serialize, ToSchema)]
pub struct LiveMatches {
    /// Newest first.
    matches: Vec<LiveMatchView>,
}

/// A spectator's seat in a placed match.
#[derive(Serialize, ToSchema)]
pub struct SpectatorSeat {
    #[serde(flatten)]
    placed: LiveMatchView,
    /// Always `spectator`.
    role: &'static str,
    /// The observer ticket, base64.
    ticket: String,
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    let matchmaking = Some(Capability::Matchmaking);
    vec![
        RouteGroup::new(matchmaking)
            .authenticated()
            .route(routes!(list)),
        RouteGroup::new(matchmaking)
            .limited()
            .authenticated()
            .route(routes!(watch)),
    ]
}

fn describe(live: &LiveMatch) -> LiveMatchView {
    LiveMatchView {
        game_id: live.game_id(),
        queue: live.queue.clone(),
        ranked: live.ranked(),
        teams: live
            .teams
            .iter()
            .map(|team| team.iter().map(ToString::to_string).collect())
            .collect(),
        relay_address: live.relay_address.clone(),
        relay_key: live.relay_key.to_string(),
        placed_at: live.placed_ms / 1000,
    }
}

/// The matches placed lately.
#[utoipa::path(get, path = "/v1/matches/live", tag = "matches",
    summary = "Matches the matchmaker placed on a relay in the last two hours, newest first",
    responses((status = 200, body = LiveMatches)))]
async fn list(
    State(state): State<AppState>,
    _caller: Principal,
) -> Result<Json<LiveMatches>, ApiError> {
    let listed = state.matchmaker()?.live_matches();
    Ok(Json(LiveMatches {
        matches: listed.iter().map(describe).collect(),
    }))
}

/// A community-signed observer ticket for a placed match.
#[utoipa::path(post, path = "/v1/matches/live/{game_id}/watch", tag = "matches",
    summary = "Spectate a placed match: a community-signed observer ticket; the relay delays \
        the game (at least 120 s when ranked) and replays it from the first tick",
    params(("game_id" = u64, Path, description = "The relay's game id")),
    responses((status = 200, body = SpectatorSeat),
        (status = 404, body = ErrorBody, description = "`match_not_found`"),
        (status = 409, body = ErrorBody,
            description = "`already_playing` or `signing_key_rotated`"),
        (status = 503, body = ErrorBody, description = "`signing_key_superseded`")))]
async fn watch(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(game_id): ApiPath<u64>,
) -> Result<Json<SpectatorSeat>, ApiError> {
    let (live, ticket) = state
        .matchmaker()?
        .spectator_ticket(game_id, PlayerKey::from(principal.key))?;
    Ok(Json(SpectatorSeat {
        placed: describe(&live),
        role: "spectator",
        ticket: base64::engine::general_purpose::STANDARD.encode(ticket.as_bytes()),
    }))
}
