//! `GET /v1/seasons` and the final standings of an ended season (`GET /v1/leaderboard?season=`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::{AppState, RouteGroup};
use crate::config::Capability;
use crate::store::SeasonRow;
use utoipa_axum::routes;

/// A ranked season.
#[derive(Serialize, ToSchema)]
pub struct SeasonView {
    /// Its number.
    season: u32,
    /// Its name.
    name: String,
    /// Unix seconds.
    starts_at: i64,
    /// Unix seconds.
    ends_at: i64,
    /// Whether it is the running one.
    running: bool,
}

fn season_view(season: &SeasonRow) -> SeasonView {
    SeasonView {
        season: season.season,
        name: season.name.clone(),
        starts_at: season.starts_at,
        ends_at: season.ends_at,
        running: !season.ended,
    }
}

/// The seasons.
#[derive(Serialize, ToSchema)]
pub struct Seasons {
    /// The running season's number.
    running: Option<u32>,
    /// Oldest first.
    seasons: Vec<SeasonView>,
}

/// The route of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![RouteGroup::new(Some(Capability::Ranking)).route(routes!(list))]
}

/// Every season, oldest first, and the running one's number.
#[utoipa::path(get, path = "/v1/seasons", tag = "seasons",
    summary = "The ranked seasons, oldest first, and the running one",
    responses((status = 200, body = Seasons)))]
pub(super) async fn list(State(state): State<AppState>) -> Result<Json<Seasons>, ApiError> {
    let seasons = state.authority()?.seasons().await?;
    let running = seasons.iter().find(|s| !s.ended).map(|s| s.season);
    Ok(Json(Seasons {
        running,
        seasons: seasons.iter().map(season_view).collect(),
    }))
}

/// One row of an ended season's final standings.
#[derive(Serialize, ToSchema)]
pub struct StandingsEntry {
    /// The player.
    player_key: String,
    /// Final rating ×1000.
    rating: i64,
    /// Final deviation ×1000.
    deviation: i64,
    /// Rated games in the season.
    games_played: u32,
    /// Wins.
    wins: u32,
    /// Losses.
    losses: u32,
    /// Draws.
    draws: u32,
    /// Highest rating of the season.
    peak_rating: Option<i64>,
}

/// One page of an ended season's final standings.
#[derive(Serialize, ToSchema)]
pub struct StandingsPage {
    /// Game module.
    module: String,
    /// The season.
    season: SeasonView,
    /// Best first.
    entries: Vec<StandingsEntry>,
    /// `after` for the next page; none on the last.
    next: Option<String>,
}

/// One page of the final standings of `season`, which must have ended.
pub(super) async fn standings_page(
    state: &AppState,
    season: u32,
    module: &str,
    limit: u32,
    after: Option<(i64, scr::PlayerKey)>,
) -> Result<StandingsPage, ApiError> {
    let authority = state.authority()?;
    let seasons = authority.seasons().await?;
    let Some(row) = seasons.iter().find(|s| s.season == season && s.ended) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_season",
            format!("season {season} has not ended here (GET /v1/seasons lists them)"),
        ));
    };
    let rows = authority.standings(season, module, limit, after).await?;
    let next = super::players::next_cursor(
        rows.len(),
        limit,
        rows.last().map(|r| (r.rating, r.player_key)),
    );
    let entries = rows
        .iter()
        .map(|row| StandingsEntry {
            player_key: row.player_key.to_string(),
            rating: row.rating,
            deviation: row.deviation,
            games_played: row.games_played,
            wins: row.wins,
            losses: row.losses,
            draws: row.draws,
            peak_rating: row.peak_rating,
        })
        .collect();
    Ok(StandingsPage {
        module: module.to_owned(),
        season: season_view(row),
        entries,
        next,
    })
}
