//! Campaign benchmark routes: a player opts in or out, reports campaign progress, and anyone
//! reads a campaign's signed aggregates over the players who opted in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::{AppState, RouteGroup};
use crate::auth::Principal;
use crate::campaigns::{Benchmarks, SNAPSHOT_CONTEXT, benchmarks};
use crate::clock::unix_now;
use crate::config::Capability;
use crate::store::CampaignProgress;

/// The campaign routes (ranking capability, `[campaigns] enabled`).
pub(super) fn routes() -> Vec<RouteGroup> {
    let ranking = Some(Capability::Ranking);
    vec![
        RouteGroup::new(ranking).route(routes!(benchmarks_of)),
        RouteGroup::new(ranking)
            .limited()
            .authenticated()
            .route(routes!(opt_in))
            .route(routes!(progress)),
    ]
}

const CAMPAIGN_ID: &str = "The campaign: 1-64 characters of letters, digits, '_', '-' and '.'";

/// The ranking capability must run and `[campaigns]` be enabled.
fn enabled(state: &AppState) -> Result<(), ApiError> {
    state.authority()?;
    if !state.config.campaigns.enabled {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "campaigns_disabled",
            "campaign benchmarks are switched off on this server ([campaigns] enabled)",
        ));
    }
    Ok(())
}

/// A name from the request: 1-64 bytes of `a-z`, `A-Z`, `0-9`, `_`, `-`, `.`.
fn name(field: &'static str, value: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_field",
            format!("{field} must be 1-64 characters of letters, digits, '_', '-' and '.'"),
        ))
    }
}

/// Body of an opt-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OptIn {
    /// True to share progress; false deletes what was shared.
    opt_in: bool,
}

/// The caller's choice, as stored.
#[derive(Serialize, ToSchema)]
struct OptedIn {
    /// Whether the caller's progress is shared.
    opted_in: bool,
}

/// Opts in to or out of campaign benchmarks.
#[utoipa::path(post, path = "/v1/campaigns/opt-in", tag = "campaigns",
    summary = "Opt in to or out of campaign benchmarks (opt_in); opting out deletes your progress",
    request_body = OptIn,
    responses((status = 200, body = OptedIn),
        (status = 404, body = ErrorBody, description = "`campaigns_disabled`")))]
async fn opt_in(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<OptIn>,
) -> Result<Json<OptedIn>, ApiError> {
    enabled(&state)?;
    state
        .store
        .set_campaign_opt_in(&principal.key.into(), request.opt_in, unix_now())
        .await?;
    Ok(Json(OptedIn {
        opted_in: request.opt_in,
    }))
}

/// Body of a progress report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProgressReport {
    /// Campaign version.
    version: String,
    /// Game module.
    game_module: String,
    /// Difficulty played.
    difficulty: String,
    /// Missions completed, at most 10,000.
    missions_completed: u32,
    /// Whether the campaign is finished.
    completed: bool,
    /// The ending reached (only with `completed`).
    ending: Option<String>,
}

/// A stored report.
#[derive(Serialize, ToSchema)]
struct Stored {
    /// Always true.
    stored: bool,
}

/// A campaign's signed aggregates.
#[derive(Serialize, ToSchema)]
struct SignedBenchmarks {
    /// The aggregates.
    snapshot: Benchmarks,
    /// The exact JSON text signed.
    snapshot_json: String,
    /// Ed25519 signature over `ic-campaign-benchmarks-v1\n` and `snapshot_json`, base64.
    signature: String,
    /// The community key that signed.
    signing_key: String,
}

/// Most missions a campaign can report (a bound on nonsense, not on real campaigns).
const MAX_MISSIONS: u32 = 10_000;

/// Reports campaign progress; 403 `not_opted_in` unless the player opted in.
#[utoipa::path(post, path = "/v1/campaigns/{id}/progress", tag = "campaigns",
    summary = "Report campaign progress (version, game_module, difficulty, missions_completed, \
        completed, ending); opted-in players only",
    params(("id" = String, Path, description = CAMPAIGN_ID)),
    request_body = ProgressReport,
    responses((status = 201, body = Stored),
        (status = 400, body = ErrorBody, description = "`invalid_field`"),
        (status = 403, body = ErrorBody, description = "`not_opted_in`"),
        (status = 404, body = ErrorBody, description = "`campaigns_disabled`")))]
async fn progress(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(campaign_id): ApiPath<String>,
    ApiJson(report): ApiJson<ProgressReport>,
) -> Result<(StatusCode, Json<Stored>), ApiError> {
    enabled(&state)?;
    name("campaign id", &campaign_id)?;
    name("version", &report.version)?;
    name("game_module", &report.game_module)?;
    name("difficulty", &report.difficulty)?;
    if let Some(ending) = &report.ending {
        name("ending", ending)?;
    }
    if report.missions_completed > MAX_MISSIONS {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("missions_completed is at most {MAX_MISSIONS}"),
        ));
    }
    if report.ending.is_some() && !report.completed {
        return Err(ApiError::bad_request(
            "invalid_field",
            "an ending is reported only with completed = true",
        ));
    }
    let stored = state
        .store
        .record_campaign_progress(&CampaignProgress {
            campaign_id,
            version: report.version,
            game_module: report.game_module,
            difficulty: report.difficulty,
            player_key: principal.key.into(),
            missions_completed: report.missions_completed,
            completed: report.completed,
            ending: report.ending,
            updated_at: unix_now(),
        })
        .await?;
    if !stored {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_opted_in",
            "opt in first (POST /v1/campaigns/opt-in): only shared progress is kept",
        ));
    }
    Ok((StatusCode::CREATED, Json(Stored { stored: true })))
}

/// The snapshot as the exact JSON text signed, with the community signature over
/// `ic-campaign-benchmarks-v1\n` followed by that text.
#[utoipa::path(get, path = "/v1/campaigns/{id}/benchmarks", tag = "campaigns",
    summary = "Signed aggregates of a campaign over opted-in players, small groups suppressed",
    params(("id" = String, Path, description = CAMPAIGN_ID)),
    responses((status = 200, body = SignedBenchmarks),
        (status = 400, body = ErrorBody, description = "`invalid_field`"),
        (status = 404, body = ErrorBody, description = "`campaigns_disabled`"),
        (status = 503, body = ErrorBody, description = "`signing_key_superseded`")))]
async fn benchmarks_of(
    State(state): State<AppState>,
    ApiPath(campaign_id): ApiPath<String>,
) -> Result<Json<SignedBenchmarks>, ApiError> {
    enabled(&state)?;
    name("campaign id", &campaign_id)?;
    let rows = state.store.campaign_progress(&campaign_id).await?;
    let snapshot = benchmarks(
        &campaign_id,
        &rows,
        state.config.campaigns.min_bucket,
        unix_now(),
    );
    let text = serde_json::to_string(&snapshot).map_err(|error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    })?;
    let signing = state.community.issuer().map_err(|error| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "signing_key_superseded",
            error.to_string(),
        )
    })?;
    let mut message = SNAPSHOT_CONTEXT.to_vec();
    message.extend_from_slice(text.as_bytes());
    let signature = signing.sign(&message);
    Ok(Json(SignedBenchmarks {
        snapshot,
        snapshot_json: text,
        signature: base64::engine::general_purpose::STANDARD.encode(signature),
        signing_key: signing.public_key().to_string(),
    }))
}
