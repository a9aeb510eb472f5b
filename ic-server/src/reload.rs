//! Re-reads the configuration on SIGHUP (`systemctl reload ic-server`, `ic-server config
//! reload`) and hands the settings that may change to the running services, logging which
//! keys took effect and which wait for a restart. A file that does not load changes nothing.

use std::path::PathBuf;

use crate::config::reload::plan;
use crate::config::{self, Config};
use crate::state::AppState;

/// Waits for SIGHUP and reloads, until the task is aborted.
pub async fn on_hangup(config_file: PathBuf, state: AppState, mut current: Config) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(error) => {
            tracing::warn!(%error, "SIGHUP cannot be handled; reload by restarting");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        if let Some(reloaded) = reload(&config_file, &state, &current) {
            current = reloaded;
        }
    }
}

/// Loads the file again and applies what may change; returns the new configuration, or
/// `None` when it did not load (the running settings stay).
fn reload(config_file: &std::path::Path, state: &AppState, current: &Config) -> Option<Config> {
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
    let plan = plan(current, &new);
    if plan.is_empty() {
        tracing::info!("configuration reloaded: nothing changed");
        return Some(new);
    }
    if let Err(error) = apply(state, &new) {
        tracing::error!(%error, "configuration not reloaded; the running settings stay");
        return None;
    }
    if !plan.applied.is_empty() {
        tracing::info!(changed = plan.applied.join(", "), "configuration reloaded");
    }
    if !plan.restart.is_empty() {
        tracing::warn!(
            keys = plan.restart.join(", "),
            "changed in the file but read only at start: restart to apply"
        );
    }
    // The keys that wait for a restart stay as they run now, so they are reported again on
    // the next reload until the restart.
    let mut kept = new;
    keep_restart_keys(&mut kept, current);
    Some(kept)
}

/// Hands the settings that may change to the services.
fn apply(state: &AppState, new: &Config) -> Result<(), String> {
    #[cfg(feature = "ranking")]
    if let Some(authority) = &state.capabilities.authority {
        authority
            .set_trusted_relays(&new.ranking.trusted_relays)
            .map_err(|error| error.to_string())?;
    }
    state
        .limiter
        .set(AppState::limiter(new.http.rate_limit_per_minute));
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

/// `new` with every key that needs a restart put back to its running value: whole sections
/// are copied from `current` except those with reloadable keys.
fn keep_restart_keys(new: &mut Config, current: &Config) {
    let (ranking_trusted, http_limit) = (
        new.ranking.trusted_relays.clone(),
        new.http.rate_limit_per_minute,
    );
    let (moderation, mut matchmaking, rating_window) = (
        new.moderation.clone(),
        new.matchmaking.clone(),
        new.rating.matchmaking.clone(),
    );
    *new = current.clone();
    new.ranking.trusted_relays = ranking_trusted;
    new.http.rate_limit_per_minute = http_limit;
    new.moderation = moderation;
    new.moderation.retention.sweep_interval_secs = current.moderation.retention.sweep_interval_secs;
    matchmaking.relays = current.matchmaking.relays.clone();
    matchmaking.relay_probe_secs = current.matchmaking.relay_probe_secs;
    matchmaking.leader_failover_secs = current.matchmaking.leader_failover_secs;
    new.matchmaking = matchmaking;
    new.rating.matchmaking = rating_window;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_needs_a_restart_keeps_its_running_value() {
        let current = Config::default();
        let mut new = current.clone();
        new.http.rate_limit_per_minute = 5;
        new.relay.max_matches = 9;
        new.matchmaking.leader_failover_secs = 30;
        new.matchmaking.ready_check_secs = 20;
        keep_restart_keys(&mut new, &current);
        assert_eq!(new.http.rate_limit_per_minute, 5);
        assert_eq!(new.matchmaking.ready_check_secs, 20);
        assert_eq!(new.relay.max_matches, current.relay.max_matches);
        assert_eq!(
            new.matchmaking.leader_failover_secs,
            current.matchmaking.leader_failover_secs
        );
        // So the plan against it holds only what was applied.
        let again = plan(&current, &new);
        assert!(again.restart.is_empty(), "{again:?}");
        assert_eq!(again.applied.len(), 2, "{again:?}");
    }
}
