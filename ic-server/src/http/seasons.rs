//! `GET /v1/seasons` and the final standings of an ended season (`GET /v1/leaderboard?season=`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::store::SeasonRow;

fn season_json(season: &SeasonRow) -> Value {
    json!({
        "season": season.season,
        "name": season.name,
        "starts_at": season.starts_at,
        "ends_at": season.ends_at,
        "running": !season.ended,
    })
}

/// `GET /v1/seasons`: every season, oldest first, and the running one's number.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let seasons = state.authority()?.seasons().await?;
    let running = seasons.iter().find(|s| !s.ended).map(|s| s.season);
    Ok(Json(json!({
        "running": running,
        "seasons": seasons.iter().map(season_json).collect::<Vec<_>>(),
    })))
}

/// One page of the final standings of `season`, which must have ended.
pub(super) async fn standings_page(
    state: &AppState,
    season: u32,
    module: &str,
    limit: u32,
    after: Option<(i64, scr::PlayerKey)>,
) -> Result<Json<Value>, ApiError> {
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
    let next = (rows.len() == limit as usize)
        .then(|| {
            rows.last()
                .map(|r| format!("{}:{}", r.rating, r.player_key))
        })
        .flatten();
    let entries: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "player_key": row.player_key.to_string(),
                "rating": row.rating,
                "deviation": row.deviation,
                "games_played": row.games_played,
                "wins": row.wins,
                "losses": row.losses,
                "draws": row.draws,
                "peak_rating": row.peak_rating,
            })
        })
        .collect();
    Ok(Json(json!({
        "module": module,
        "season": season_json(row),
        "entries": entries,
        "next": next,
    })))
}
