//! `GET /v1/players/{key}`: a player's public profile: per game module the rating, tier, rank,
//! percentile, whether the rating is provisional, season counts and peak, and the running
//! season.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiPath;
use super::{AppState, RouteGroup};
use crate::config::Capability;
use utoipa_axum::routes;

/// A player's standing in one game module.
#[derive(Serialize, ToSchema)]
pub struct ModuleStanding {
    /// Game module.
    module: String,
    /// Rating algorithm (`glicko2`, …).
    algorithm: String,
    /// Rating, in the algorithm's scale.
    rating: i64,
    /// Rating deviation.
    deviation: i64,
    /// The rating as shown to people.
    display: String,
    /// Whether the rating is still provisional.
    provisional: bool,
    /// Tier, once placed.
    tier: Option<String>,
    /// Placement matches still to play before a tier is shown.
    placement_matches_left: u32,
    /// Rank on the leaderboard, when on it.
    rank: Option<u32>,
    /// Percentile, when ranked.
    percentile: Option<u16>,
    /// Games this season.
    games_played: u32,
    /// Wins this season.
    wins: u32,
    /// Losses this season.
    losses: u32,
    /// Draws this season.
    draws: u32,
    /// Current streak: positive wins, negative losses.
    streak: i16,
    /// Highest rating this season.
    peak_rating: Option<i64>,
    /// The tier of the peak rating.
    peak_tier: Option<String>,
    /// Unix seconds of the last rated match.
    last_played_at: Option<i64>,
    /// The season these counts belong to.
    season: u32,
}

/// The running season, briefly.
#[derive(Serialize, ToSchema)]
pub struct RunningSeason {
    /// Its number.
    season: u32,
    /// Its name.
    name: String,
    /// Unix seconds it ends.
    ends_at: i64,
}

/// A player's public profile.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    /// The player.
    player_key: String,
    /// The running season, if any.
    season: Option<RunningSeason>,
    /// One entry per game module the player is rated in.
    modules: Vec<ModuleStanding>,
}

/// The route of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![RouteGroup::new(Some(Capability::Ranking)).route(routes!(profile))]
}

/// A player's profile.
#[utoipa::path(get, path = "/v1/players/{key}", tag = "players",
    summary = "A player's profile: per module rating, tier, rank, percentile, season counts, peak",
    params(("key" = String, Path, description = "`ed25519:<64 hex>`")),
    responses((status = 200, body = Profile),
        (status = 400, body = ErrorBody, description = "`invalid_key`"),
        (status = 404, body = ErrorBody, description = "`not_registered`")))]
pub(super) async fn profile(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<Profile>, ApiError> {
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
        modules.push(ModuleStanding {
            module: row.game_module.clone(),
            algorithm: row.algorithm_id.clone(),
            rating: row.rating,
            deviation: row.deviation,
            display: authority.display_rating(row, &key),
            provisional: authority.is_provisional(row, &key),
            tier: authority.tier(row, ranked),
            placement_matches_left: authority.placement_left(row),
            rank: ranked,
            percentile: ranked.map(|_| percentile),
            games_played: row.games_played,
            wins: row.wins,
            losses: row.losses,
            draws: row.draws,
            streak: row.streak,
            peak_rating: row.peak_rating,
            peak_tier,
            last_played_at: row.last_played_at,
            season: row.season,
        });
    }
    Ok(Json(Profile {
        player_key: key.to_string(),
        season: season.map(|s| RunningSeason {
            season: s.season,
            name: s.name,
            ends_at: s.ends_at,
        }),
        modules,
    }))
}
