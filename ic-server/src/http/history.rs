//! `GET /v1/players/{key}/matches?limit=&before=`: a player's recent certified matches.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::{AppState, RouteGroup};
use crate::authority::HistoryEntry;
use crate::config::Capability;
use utoipa_axum::routes;

/// Query of `GET /v1/players/{key}/matches`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Matches per page, 1–100 (default 20).
    limit: Option<u32>,
    /// The `next` cursor of the previous page.
    before: Option<u64>,
}

/// A page of history.
#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    /// Newest first.
    matches: Vec<HistoryMatch>,
    /// `before` for the next page; none on the last.
    next: Option<u64>,
}

/// One match, from the player's side.
#[derive(Serialize, ToSchema)]
struct HistoryMatch {
    match_id: String,
    game_module: String,
    map: String,
    played_at: i64,
    duration_ticks: u64,
    result: &'static str,
    rating_before: i64,
    rating_after: i64,
    rating_change: i64,
    team: Option<u8>,
    teammates: Vec<String>,
    opponents: Vec<String>,
    relay_key: String,
    replay_hash: Option<String>,
    /// Whether this server's relay still keeps the replay (for a moderator reviewing the match
    /// or a player who wants it); false when another relay ran the match or it was pruned.
    replay_available: bool,
}

fn shown(state: &AppState, player: &scr::PlayerKey, entry: &HistoryEntry) -> HistoryMatch {
    let payload = &entry.payload;
    let team = payload
        .participants
        .iter()
        .find(|p| p.player_key == *player)
        .map(|p| p.team);
    let (mut teammates, mut opponents) = (Vec::new(), Vec::new());
    for participant in payload
        .participants
        .iter()
        .filter(|p| p.player_key != *player)
    {
        let side = if Some(participant.team) == team {
            &mut teammates
        } else {
            &mut opponents
        };
        side.push(participant.player_key.to_string());
    }
    HistoryMatch {
        match_id: hex::encode(payload.match_id),
        game_module: payload.game_module.clone(),
        map: payload.map_name.clone(),
        played_at: payload.played_at,
        duration_ticks: payload.duration_ticks,
        result: payload.result.name(),
        rating_before: payload.rating_before,
        rating_after: payload.rating_after,
        rating_change: payload.rating_after - payload.rating_before,
        team,
        teammates,
        opponents,
        relay_key: payload.relay_key.to_string(),
        replay_hash: entry.replay_hash.map(hex::encode),
        replay_available: entry
            .replay_hash
            .is_some_and(|hash| state.capabilities.keeps_replay(&hash)),
    }
}

/// The route of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![RouteGroup::new(Some(Capability::Ranking)).route(routes!(matches))]
}

/// Newest first, `limit` 1–100 (default 20).
#[utoipa::path(get, path = "/v1/players/{key}/matches", tag = "players",
    summary = "A player's recent certified matches, newest first (?limit=&before=)",
    params(("key" = String, Path, description = "`ed25519:<64 hex>`"), HistoryQuery),
    responses((status = 200, body = HistoryPage),
        (status = 400, body = ErrorBody, description = "`invalid_key` or `invalid_query`"),
        (status = 404, body = ErrorBody, description = "`not_registered`")))]
pub(super) async fn matches(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    let key = super::players::player_key(&key)?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1..=100",
        ));
    }
    let authority = state.authority()?;
    let entries = authority.match_history(&key, query.before, limit).await?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last().map(|entry| entry.sequence))
        .flatten();
    Ok(Json(HistoryPage {
        matches: entries
            .iter()
            .map(|entry| shown(&state, &key, entry))
            .collect(),
        next,
    }))
}
