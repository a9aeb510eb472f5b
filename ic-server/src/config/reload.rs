//! What a configuration reload (SIGHUP, `ic-server config reload`) may change in a running
//! server, and what waits for a restart: two loaded configurations compared key by key.

use super::Config;
use super::load::flatten;

/// Keys, or sections ending in `.`, that a running server takes over: limits and thresholds
/// read per request or per pass.
const RELOADABLE: &[&str] = &[
    "http.rate_limit_per_minute",
    "ranking.trusted_relays",
    "moderation.",
    "matchmaking.",
    "rating.matchmaking.",
];

/// Keys inside a reloadable section that are still read only at start.
const AT_START_ONLY: &[&str] = &[
    // The relay hand-off and the probes are built from the list at start.
    "matchmaking.relays",
    "matchmaking.relay_probe_secs",
    // The campaign for the lead reads it once.
    "matchmaking.leader_failover_secs",
    // The retention sweep's timer is set at start.
    "moderation.retention.sweep_interval_secs",
];

/// What changed between two configurations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadPlan {
    /// Changed keys the running server applies now.
    pub applied: Vec<String>,
    /// Changed keys that take effect only after a restart.
    pub restart: Vec<String>,
}

impl ReloadPlan {
    /// Whether anything changed at all.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.restart.is_empty()
    }
}

/// Whether `key` can change while the server runs.
pub fn reloadable(key: &str) -> bool {
    !AT_START_ONLY.contains(&key)
        && RELOADABLE
            .iter()
            .any(|prefix| match prefix.strip_suffix('.') {
                Some(section) => key.starts_with(prefix) || key == section,
                None => key == *prefix,
            })
}

/// The keys whose values differ between `old` and `new`, sorted into applied and restart.
pub fn plan(old: &Config, new: &Config) -> ReloadPlan {
    let leaves = |config: &Config| {
        toml::Value::try_from(config)
            .map(|value| flatten(&value))
            .unwrap_or_default()
    };
    let (before, after) = (leaves(old), leaves(new));
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(key, value)| before.iter().find(|(k, _)| k == key).map(|(_, v)| v) != Some(value))
        .map(|(key, _)| key.clone())
        .chain(
            before
                .iter()
                .filter(|(key, _)| !after.iter().any(|(k, _)| k == key))
                .map(|(key, _)| key.clone()),
        )
        .collect();
    changed.sort();
    changed.dedup();
    let (applied, restart) = changed.into_iter().partition(|key| reloadable(key));
    ReloadPlan { applied, restart }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_thresholds_apply_now_the_rest_after_a_restart() {
        let old = Config::default();
        let mut new = old.clone();
        assert!(plan(&old, &new).is_empty());
        new.http.rate_limit_per_minute = 7;
        new.moderation.required_reviewers = 5;
        new.matchmaking.ready_check_secs = 20;
        new.matchmaking.leader_failover_secs = 30;
        new.relay.max_matches = 5;
        new.http.listen = "127.0.0.1:1".parse().unwrap();
        let plan = plan(&old, &new);
        assert_eq!(
            plan.applied,
            [
                "http.rate_limit_per_minute",
                "matchmaking.ready_check_secs",
                "moderation.required_reviewers"
            ]
        );
        assert_eq!(
            plan.restart,
            [
                "http.listen",
                "matchmaking.leader_failover_secs",
                "relay.max_matches"
            ]
        );
    }

    #[test]
    fn whole_sections_and_single_keys_are_told_apart() {
        assert!(reloadable("moderation.eligibility.min_matches"));
        assert!(reloadable("rating.matchmaking.initial_window"));
        assert!(reloadable("ranking.trusted_relays"));
        assert!(!reloadable("ranking.game_modules"));
        assert!(!reloadable("matchmaking.relays"));
        assert!(!reloadable("http.rate_limit_per_minute_extra"));
        assert!(!reloadable("rating.algorithm"));
    }
}
