//! Achievement routes: the community's definitions, a player's achievements, claims under the
//! configured policy, and a moderator's challenge of an optimistic claim.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::ApiJson;
use super::players::{encode_records, player_key};
use super::{AppState, Route, route};
use crate::achievements::rules::definition_id;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::config::Capability;
use crate::store::{AchievementRow, Role};

/// The achievement routes (ranking capability).
pub fn routes() -> Vec<Route> {
    let r = Some(Capability::Ranking);
    vec![
        route(
            Method::GET,
            "/v1/achievements",
            r,
            false,
            false,
            "The achievements this community awards, its claim policy and challenge window",
        ),
        route(
            Method::GET,
            "/v1/players/{key}/achievements",
            r,
            false,
            false,
            "A player's achievements (id, name, module, verification, unlock time, match)",
        ),
        route(
            Method::POST,
            "/v1/achievements/claims",
            r,
            true,
            true,
            "Claim an achievement of rule \"claim\" (game_module, achievement_id)",
        ),
        route(
            Method::POST,
            "/v1/achievements/challenges",
            r,
            true,
            true,
            "Moderator: challenge an optimistic claim (player_key, game_module, achievement_id)",
        ),
    ]
}

/// The handler of an achievement route.
pub fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("GET", "/v1/achievements") => get(definitions),
        ("GET", "/v1/players/{key}/achievements") => get(of_player),
        ("POST", "/v1/achievements/claims") => post(claim),
        ("POST", "/v1/achievements/challenges") => post(challenge),
        _ => return None,
    })
}

/// `GET /v1/achievements`.
async fn definitions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let settings = state.authority()?.achievement_settings();
    let definitions: Vec<Value> = settings
        .definitions
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "name": d.name,
                "rule": d.rule.name(),
                "count": d.count,
                "game_modules": d.game_modules,
                "per_season": d.per_season,
            })
        })
        .collect();
    Ok(Json(json!({
        "policy": settings.policy.name(),
        "challenge_window_hours": settings.challenge_window_hours,
        "definitions": definitions,
    })))
}

/// One achievement a player holds.
#[derive(Serialize)]
struct HeldAchievement {
    achievement_id: String,
    name: Option<String>,
    game_module: String,
    verification: &'static str,
    unlocked_at: i64,
    match_id: Option<String>,
    /// `pending` (an optimistic claim inside its window), `challenged`, or null.
    claim: Option<&'static str>,
    upgrade_at: Option<i64>,
    sequence: u64,
}

fn held(state: &AppState, row: AchievementRow) -> Result<HeldAchievement, ApiError> {
    let settings = state.authority()?.achievement_settings();
    let claim = match (row.upgrade_at, row.challenged_at) {
        (_, Some(_)) => Some("challenged"),
        (Some(_), None) => Some("pending"),
        (None, None) => None,
    };
    Ok(HeldAchievement {
        name: settings
            .definition(definition_id(&row.achievement_id))
            .map(|d| d.name.clone()),
        // The stored byte is the record's; its name comes from the record format.
        verification: scr::payload::AchievementVerification::from_byte(row.verification)
            .map_or("unknown", |v| v.name()),
        match_id: row.match_id.map(hex::encode),
        upgrade_at: row.upgrade_at.filter(|_| row.challenged_at.is_none()),
        achievement_id: row.achievement_id,
        game_module: row.game_module,
        unlocked_at: row.unlocked_at,
        claim,
        sequence: row.sequence,
    })
}

/// `GET /v1/players/{key}/achievements`.
async fn of_player(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = player_key(&key)?;
    let rows = state.authority()?.achievements_of(&key).await?;
    let achievements = rows
        .into_iter()
        .map(|row| held(&state, row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "achievements": achievements })))
}

/// Body of a claim.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimRequest {
    game_module: String,
    achievement_id: String,
}

/// `POST /v1/achievements/claims`: 201 with the issued record.
async fn claim(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<ClaimRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let authority = state.authority()?;
    let record = authority
        .claim_achievement(
            &principal.key.into(),
            &request.game_module,
            &request.achievement_id,
            unix_now(),
        )
        .await?;
    let pending =
        authority.achievement_settings().policy == crate::config::AchievementPolicy::Optimistic;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "records": encode_records(std::slice::from_ref(&record)),
            "verification": "optimistic",
            "upgrade_at": pending.then(|| record.issued_at
                + i64::from(authority.achievement_settings().challenge_window_hours) * 3600),
        })),
    ))
}

/// Body of a challenge.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    player_key: String,
    game_module: String,
    achievement_id: String,
}

/// `POST /v1/achievements/challenges`: moderators and admins only.
async fn challenge(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<ChallengeRequest>,
) -> Result<Json<Value>, ApiError> {
    if !principal
        .roles
        .iter()
        .any(|role| matches!(role, Role::Moderator | Role::Admin))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "challenging an achievement claim needs the moderator or admin role",
        ));
    }
    let player = player_key(&request.player_key)?;
    let row = state
        .authority()?
        .challenge_achievement(
            &player,
            &request.game_module,
            &request.achievement_id,
            unix_now(),
        )
        .await?;
    tracing::info!(
        moderator = %principal.key,
        player = %player,
        achievement = %request.achievement_id,
        "achievement claim challenged"
    );
    Ok(Json(json!({ "achievement": held(&state, row)? })))
}
