//! Campaign benchmark routes: a player opts in or out, reports campaign progress, and anyone
//! reads a campaign's signed aggregates over the players who opted in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{MethodRouter, get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::ApiJson;
use super::{AppState, Route, route};
use crate::auth::Principal;
use crate::campaigns::{SNAPSHOT_CONTEXT, benchmarks};
use crate::clock::unix_now;
use crate::config::Capability;
use crate::store::CampaignProgress;

/// The campaign routes (ranking capability, `[campaigns] enabled`).
pub fn routes() -> Vec<Route> {
    let r = Some(Capability::Ranking);
    vec![
        route(
            Method::POST,
            "/v1/campaigns/opt-in",
            r,
            true,
            true,
            "Opt in to or out of campaign benchmarks (opt_in); opting out deletes your progress",
        ),
        route(
            Method::POST,
            "/v1/campaigns/{id}/progress",
            r,
            true,
            true,
            "Report campaign progress (version, game_module, difficulty, missions_completed, \
             completed, ending); opted-in players only",
        ),
        route(
            Method::GET,
            "/v1/campaigns/{id}/benchmarks",
            r,
            false,
            false,
            "Signed aggregates of a campaign over opted-in players, small groups suppressed",
        ),
    ]
}

/// The handler of a campaign route.
pub fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("POST", "/v1/campaigns/opt-in") => post(opt_in),
        ("POST", "/v1/campaigns/{id}/progress") => post(progress),
        ("GET", "/v1/campaigns/{id}/benchmarks") => get(benchmarks_of),
        _ => return None,
    })
}

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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptIn {
    opt_in: bool,
}

/// `POST /v1/campaigns/opt-in`.
async fn opt_in(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<OptIn>,
) -> Result<Json<Value>, ApiError> {
    enabled(&state)?;
    state
        .store
        .set_campaign_opt_in(&principal.key.into(), request.opt_in, unix_now())
        .await?;
    Ok(Json(json!({ "opted_in": request.opt_in })))
}

/// Body of a progress report.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressReport {
    version: String,
    game_module: String,
    difficulty: String,
    missions_completed: u32,
    completed: bool,
    ending: Option<String>,
}

/// Most missions a campaign can report (a bound on nonsense, not on real campaigns).
const MAX_MISSIONS: u32 = 10_000;

/// `POST /v1/campaigns/{id}/progress`: 403 `not_opted_in` unless the player opted in.
async fn progress(
    State(state): State<AppState>,
    principal: Principal,
    Path(campaign_id): Path<String>,
    ApiJson(report): ApiJson<ProgressReport>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(json!({ "stored": true }))))
}

/// `GET /v1/campaigns/{id}/benchmarks`: the snapshot as the exact JSON text signed, with the
/// community signature over `ic-campaign-benchmarks-v1\n` followed by that text.
async fn benchmarks_of(
    State(state): State<AppState>,
    Path(campaign_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "snapshot": snapshot,
        "snapshot_json": text,
        "signature": base64::engine::general_purpose::STANDARD.encode(signature),
        "signing_key": signing.public_key().to_string(),
    })))
}
