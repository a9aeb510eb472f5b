//! `GET /v1/players/{key}`: a player's public profile: per game module the rating, tier, rank,
//! percentile, whether the rating is provisional, season counts and peak, and the running
//! season.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;

/// `GET /v1/players/{key}`.
pub async fn profile(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = super::players::player_key(&key)?;
    let authority = state.authority()?;
    let rows = authority.standing(&key).await?;
    let season = authority.seasons().await?.into_iter().find(|s| !s.ended);
    let mut modules = Vec::with_capacity(rows.len());
    for row in &rows {
        let (rank, percentile) = authority.rank(&row.game_module, &key).await?;
        let ranked = (rank > 0).then_some(rank);
        let peak_tier = row.peak_rating.and_then(|peak| {
            let peak_row = crate::store::RatingRow {
                rating: peak,
                ..row.clone()
            };
            authority.tier(&peak_row, None)
        });
        modules.push(json!({
            "module": row.game_module,
            "algorithm": row.algorithm_id,
            "rating": row.rating,
            "deviation": row.deviation,
            "display": authority.display_rating(row, &key),
            "provisional": authority.is_provisional(row, &key),
            "tier": authority.tier(row, ranked),
            "placement_matches_left": authority.placement_left(row),
            "rank": ranked,
            "percentile": ranked.map(|_| percentile),
            "games_played": row.games_played,
            "wins": row.wins,
            "losses": row.losses,
            "draws": row.draws,
            "streak": row.streak,
            "peak_rating": row.peak_rating,
            "peak_tier": peak_tier,
            "last_played_at": row.last_played_at,
            "season": row.season,
        }));
    }
    Ok(Json(json!({
        "player_key": key.to_string(),
        "season": season.map(|s| json!({ "season": s.season, "name": s.name, "ends_at": s.ends_at })),
        "modules": modules,
    })))
}
