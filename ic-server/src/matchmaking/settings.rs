//! Tuning of the matchmaker beyond the rating window: avoid lists, rematches, pass pacing,
//! ready checks and how many neighbours a pass looks at. Defaults are documented per field.

use ranking::matchmaking::MatchmakingConfig;

/// Everything the pure matchmaker needs to know about the operator's choices.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchmakingSettings {
    /// Rating window, desperation and quality floor (the ranking crate's rules).
    pub window: MatchmakingConfig,
    /// Most keys one player may avoid (default 5).
    pub avoid_list_max: usize,
    /// Score penalty (permille of fairness) for facing an avoided player when the waiting
    /// starts (default 1000: any other acceptable opponent is preferred).
    pub avoid_penalty: i32,
    /// Seconds of waiting over which the avoid penalty relaxes linearly to zero (default 600).
    pub avoid_relax_secs: u64,
    /// Seconds after a 1v1 during which the same pair is matched again only when neither has
    /// another acceptable opponent (default 900).
    pub rematch_window_secs: u64,
    /// Shortest pause between passes, for a full queue (default 500 ms).
    pub pass_interval_min_ms: u64,
    /// Longest pause between passes, for a nearly empty queue (default 5000 ms).
    pub pass_interval_max_ms: u64,
    /// Players queued at which the shortest pause applies (default 100).
    pub pass_full_queue: usize,
    /// Seconds every player has to accept a found match (default 30).
    pub ready_check_secs: u64,
    /// Cooldowns in seconds for the 1st, 2nd, 3rd+ decline within a day (default 60, 300, 900).
    pub decline_cooldowns_secs: Vec<u64>,
    /// Seconds a queue entry outlives its dropped event stream (default 60).
    pub entry_ttl_secs: u64,
    /// Acceptable opponents examined on each side of a player's rating (default 2): the
    /// nearest ratings are the fairest, so a few suffice and a pass stays O(n log n).
    pub neighbours: usize,
}

impl Default for MatchmakingSettings {
    fn default() -> Self {
        Self {
            window: MatchmakingConfig::default(),
            avoid_list_max: 5,
            avoid_penalty: 1000,
            avoid_relax_secs: 600,
            rematch_window_secs: 900,
            pass_interval_min_ms: 500,
            pass_interval_max_ms: 5000,
            pass_full_queue: 100,
            ready_check_secs: 30,
            decline_cooldowns_secs: vec![60, 300, 900],
            entry_ttl_secs: 60,
            neighbours: 2,
        }
    }
}
