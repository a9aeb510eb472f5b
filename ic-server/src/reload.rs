//! Re-reads the configuration on SIGHUP (`systemctl reload ic-server`, `ic-server config
//! reload`) and hands the settings that may change to the running services, logging which
//! keys took effect and which wait for a restart. A file that does not load changes nothing.

use std::path::PathBuf;

use crate::config::reload::plan;
use crate::config::{self, Config};
use crate::state::AppState;

/// Waits for SIGHUP and reloads, until the task is aborted. `start` is the configuration the
/// server started with: keys read only at start are compared with it, so they are reported
/// on every reload until a restart applies them.
pub async fn on_hangup(config_file: PathBuf, state: AppState, start: Config) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(error) => {
            tracing::warn!(%error, "SIGHUP cannot be handled; reload by restarting");
            return;
        }
    };
    let mut applied = start.clone();
    while hangups.recv().await.is_some() {
        if let Some(reloaded) = reload(&config_file, &state, &start, &applied) {
            applied = reloaded;
        }
    }
}

/// Loads the file again and applies what may change; returns the new configuration, or
/// `None` when it did not load (the running settings stay).
fn reload(
    config_file: &std::path::Path,
    state: &AppState,
    start: &Config,
    applied: &Config,
) -> Option<Config> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let loaded = match config::load(Some(config_file), &env) {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(%error, "configuration not reloaded; the running settings stay");
            return None;
        }
    };
    for warning in &loaded.warnings {
        tracing::warn!(%warning, "configuration warning");
    }
    let new = loaded.config;
    let changed = plan(applied, &new).applied;
    let restart = plan(start, &new).restart;
    if let Err(error) = apply(state, applied, &new) {
        tracing::error!(%error, "configuration not reloaded; the running settings stay");
        return None;
    }
    if changed.is_empty() && restart.is_empty() {
        tracing::info!("configuration reloaded: nothing changed");
    }
    if !changed.is_empty() {
        tracing::info!(changed = changed.join(", "), "configuration reloaded");
    }
    if !restart.is_empty() {
        tracing::warn!(
            keys = restart.join(", "),
            "changed in the file but read only at start: restart to apply"
        );
    }
    Some(new)
}

/// Hands the settings that may change to the services.
fn apply(state: &AppState, applied: &Config, new: &Config) -> Result<(), String> {
    #[cfg(feature = "ranking")]
    if let Some(authority) = &state.capabilities.authority {
        authority
            .set_trusted_relays(&new.ranking.trusted_relays)
            .map_err(|error| error.to_string())?;
    }
    // A new limiter starts every address's count afresh: only when the limit changed.
    if new.http.rate_limit_per_minute != applied.http.rate_limit_per_minute {
        state
            .limiter
            .set(AppState::limiter(new.http.rate_limit_per_minute));
    }
    #[cfg(feature = "moderation")]
    if let Some(moderation) = &state.capabilities.moderation {
        moderation.set_config(new.moderation.clone());
    }
    #[cfg(feature = "matchmaking")]
    if let Some(matchmaker) = &state.capabilities.matchmaker {
        matchmaker.set_settings(
            new.matchmaking
                .clone()
                .with_window(new.rating.matchmaking.clone()),
        );
    }
    Ok(())
}
