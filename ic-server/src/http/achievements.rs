//! Achievement routes: the community's definitions, a player's achievements, claims under the
//! configured policy, and a moderator's challenge of an optimistic claim.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::players::{encode_records, player_key};
use super::{AppState, RouteGroup};
use crate::achievements::rules::definition_id;
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::config::Capability;
use crate::store::{AchievementRow, Role};

/// The achievement routes (ranking capability).
pub(super) fn routes() -> Vec<RouteGroup> {
    let ranking = Some(Capability::Ranking);
    vec![
        RouteGroup::new(ranking)
            .route(routes!(definitions))
            .route(routes!(of_player)),
        RouteGroup::new(ranking)
            .limited()
            .authenticated()
            .route(routes!(claim))
            .route(routes!(challenge)),
    ]
}

/// An achievement this community awards.
#[derive(Serialize, ToSchema)]
struct Definition {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
    /// How it is earned: a rule name, or `claim`.
    rule: &'static str,
    /// The rule's count (wins, games, …).
    count: u32,
    /// The game modules it counts in (empty: all).
    game_modules: Vec<String>,
    /// Whether it is earned again each season.
    per_season: bool,
}

/// The community's achievements.
#[derive(Serialize, ToSchema)]
struct Definitions {
    /// How claims are treated: `refused`, `optimistic` or `verified`.
    policy: &'static str,
    /// Hours an optimistic claim stays open to challenge.
    challenge_window_hours: u32,
    /// The achievements.
    definitions: Vec<Definition>,
}

/// The community's achievements, claim policy and challenge window.
#[utoipa::path(get, path = "/v1/achievements", tag = "achievements",
    summary = "The achievements this community awards, its claim policy and challenge window",
    responses((status = 200, body = Definitions)))]
async fn definitions(State(state): State<AppState>) -> Result<Json<Definitions>, ApiError> {
    let settings = state.authority()?.achievement_settings();
    let definitions = settings
        .definitions
        .iter()
        .map(|d| Definition {
            id: d.id.clone(),
            name: d.name.clone(),
            rule: d.rule.name(),
            count: d.count,
            game_modules: d.game_modules.clone(),
            per_season: d.per_season,
        })
        .collect();
    Ok(Json(Definitions {
        policy: settings.policy.name(),
        challenge_window_hours: settings.challenge_window_hours,
        definitions,
    }))
}

/// One achievement a player holds.
#[derive(Serialize, ToSchema)]
struct HeldAchievement {
    /// The achievement (with its season, for per-season ones).
    achievement_id: String,
    /// Its name, when this community still defines it.
    name: Option<String>,
    /// Game module.
    game_module: String,
    /// How the record was verified when issued (`relay_attested`, `optimistic`, …).
    verification: &'static str,
    /// Unix seconds it was earned.
    unlocked_at: i64,
    /// The certified match that earned it, 64 hex.
    match_id: Option<String>,
    /// `pending` (an optimistic claim inside its window), `challenged`, or null.
    claim: Option<&'static str>,
    /// Unix seconds a pending claim becomes verified unless challenged.
    upgrade_at: Option<i64>,
    /// The record's sequence in the player's history.
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

/// A player's achievements.
#[derive(Serialize, ToSchema)]
struct HeldAchievements {
    /// Newest first.
    achievements: Vec<HeldAchievement>,
}

/// A player's achievements.
#[utoipa::path(get, path = "/v1/players/{key}/achievements", tag = "achievements",
    summary = "A player's achievements (id, name, module, verification, unlock time, match)",
    params(("key" = String, Path, description = "`ed25519:<64 hex>`")),
    responses((status = 200, body = HeldAchievements),
        (status = 400, body = ErrorBody, description = "`invalid_key`"),
        (status = 404, body = ErrorBody, description = "`not_registered`")))]
async fn of_player(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<HeldAchievements>, ApiError> {
    let key = player_key(&key)?;
    let rows = state.authority()?.achievements_of(&key).await?;
    let achievements = rows
        .into_iter()
        .map(|row| held(&state, row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(HeldAchievements { achievements }))
}

/// Body of a claim.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClaimRequest {
    /// Game module.
    game_module: String,
    /// An achievement of rule `claim`.
    achievement_id: String,
}

/// A granted claim.
#[derive(Serialize, ToSchema)]
struct ClaimGranted {
    /// The issued achievement record, base64.
    records: Vec<String>,
    /// Always `optimistic`.
    verification: &'static str,
    /// Unix seconds it becomes verified unless challenged (optimistic policy only).
    upgrade_at: Option<i64>,
}

/// Claims an achievement; 201 with the issued record.
#[utoipa::path(post, path = "/v1/achievements/claims", tag = "achievements",
    summary = "Claim an achievement of rule \"claim\" (game_module, achievement_id)",
    request_body = ClaimRequest,
    responses((status = 201, body = ClaimGranted),
        (status = 403, body = ErrorBody, description = "`claims_not_accepted`"),
        (status = 404, body = ErrorBody,
            description = "`unknown_achievement` or `not_registered`"),
        (status = 409, body = ErrorBody, description = "`achievement_held`"),
        (status = 422, body = ErrorBody,
            description = "`not_claimable` or `unknown_game_module`")))]
async fn claim(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<ClaimRequest>,
) -> Result<(StatusCode, Json<ClaimGranted>), ApiError> {
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
        Json(ClaimGranted {
            records: encode_records(std::slice::from_ref(&record)),
            verification: "optimistic",
            upgrade_at: pending.then(|| {
                record.issued_at
                    + i64::from(authority.achievement_settings().challenge_window_hours) * 3600
            }),
        }),
    ))
}

/// Body of a challenge.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AchievementChallenge {
    /// The claimant, `ed25519:<64 hex>`.
    player_key: String,
    /// Game module.
    game_module: String,
    /// The claimed achievement.
    achievement_id: String,
}

/// A challenged claim.
#[derive(Serialize, ToSchema)]
struct Challenged {
    /// The claim, now challenged.
    achievement: HeldAchievement,
}

/// Challenges an optimistic claim; moderators and admins only.
#[utoipa::path(post, path = "/v1/achievements/challenges", tag = "achievements",
    summary = "Moderator: challenge an optimistic claim (player_key, game_module, \
        achievement_id)",
    request_body = AchievementChallenge,
    responses((status = 200, body = Challenged),
        (status = 400, body = ErrorBody, description = "`invalid_key`"),
        (status = 403, body = ErrorBody, description = "`forbidden`"),
        (status = 404, body = ErrorBody, description = "`unknown_achievement`"),
        (status = 409, body = ErrorBody, description = "`not_challengeable`")))]
async fn challenge(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<AchievementChallenge>,
) -> Result<Json<Challenged>, ApiError> {
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
    Ok(Json(Challenged {
        achievement: held(&state, row)?,
    }))
}
