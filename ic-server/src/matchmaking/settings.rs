//! The `[matchmaking]` section: the queues offered and the matchmaker's own tuning; the rating
//! window itself is the ranking crate's `[rating.matchmaking]` section, carried along.

use ranking::matchmaking::MatchmakingConfig;
use serde::{Deserialize, Serialize};

use super::QueueMode;
use crate::federation::TrustRequirement;

/// One queue: a game module and a mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueueSpec {
    /// Game module, one of the ranking authority's modules.
    pub module: String,
    /// `ranked_1v1`, `ranked_2v2`, `ranked_3v3`, `unranked_1v1`, `unranked_2v2` or
    /// `unranked_3v3`.
    pub mode: QueueMode,
}

/// What one queue requires of the records its players present (`[[matchmaking.requirements]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueRequirement {
    /// Game module of the queue.
    pub module: String,
    /// Mode of the queue.
    pub mode: QueueMode,
    /// The requirement: `{ kind = "none" }`, `{ kind = "any_verified" }` or
    /// `{ kind = "communities", communities = [{ key, min_games, min_rating, module }] }`.
    pub requires: TrustRequirement,
}

/// A relay players connect to: as the community document lists it, and as `[matchmaking]
/// relays` names a relay of another server (whose `relay.ticket_signers` must list this
/// community's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RelayListing {
    /// `host:port` players connect to (UDP, QUIC).
    pub address: String,
    /// The relay's key, which players pin.
    #[schema(value_type = String, example = "ed25519:…")]
    pub key: scr::RelayKey,
    /// Region it serves; empty (and left out of the document): any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
}

impl RelayListing {
    /// The region it serves, `None` for any.
    pub fn region(&self) -> Option<&str> {
        Some(self.region.as_str()).filter(|r| !r.is_empty())
    }
}

/// Everything the matchmaker needs to know about the operator's choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchmakingSettings {
    /// The queues players can join.
    pub queues: Vec<QueueSpec>,
    /// Rating window, desperation and quality floor: the `[rating.matchmaking]` section,
    /// the ranking crate's rules (set with [`MatchmakingSettings::with_window`]).
    #[serde(skip)]
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
    /// Seconds a match ticket stays valid for connecting to the relay (default 300).
    pub ticket_ttl_secs: u64,
    /// Relays of other servers to place matches on, after this server's own relay (if any).
    pub relays: Vec<RelayListing>,
    /// Seconds between checks that each of `relays` answers with its key (a QUIC handshake);
    /// one that does not gets no matches until it does again (default 30, 1..=3600).
    pub relay_probe_secs: u64,
    /// Seconds a low-priority entry (a member under a moderation `low_priority_queue`
    /// sanction) waits before its wait counts: its window widens, desperation comes and its
    /// turn in a pass arrives that much later (default 300, 0..=3600).
    pub low_priority_delay_secs: u64,
    /// Maps per queue (`[[matchmaking.map_pools]]`): a ranked queue with two or more runs the
    /// alternating veto, an unranked one gets one at random, a queue without a pool leaves the
    /// map to the game's lobby.
    pub map_pools: Vec<super::MapPool>,
    /// Seconds each side has for a ban in the veto before one is picked for it (default 15,
    /// 5..=120).
    pub veto_ban_secs: u64,
    /// Seconds after which another process takes over the queue from a leading process that
    /// stopped answering, on a database several processes share (default 10, 1..=300). A
    /// process that dies outright is replaced within a second.
    pub leader_failover_secs: u64,
    /// Records from other communities (or this one) that a queue requires; a queue not listed
    /// requires none.
    pub requirements: Vec<QueueRequirement>,
}

impl Default for MatchmakingSettings {
    fn default() -> Self {
        Self {
            queues: vec![
                QueueSpec {
                    module: "ra".into(),
                    mode: QueueMode::Ranked1v1,
                },
                QueueSpec {
                    module: "ra".into(),
                    mode: QueueMode::RankedTeam { team_size: 2 },
                },
                QueueSpec {
                    module: "ra".into(),
                    mode: QueueMode::Unranked { team_size: 1 },
                },
            ],
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
            ticket_ttl_secs: 300,
            relays: Vec::new(),
            low_priority_delay_secs: 300,
            relay_probe_secs: 30,
            leader_failover_secs: 10,
            map_pools: Vec::new(),
            veto_ban_secs: 15,
            requirements: Vec::new(),
        }
    }
}

impl MatchmakingSettings {
    /// These settings with the rating window of the `[rating.matchmaking]` section.
    pub fn with_window(mut self, window: MatchmakingConfig) -> Self {
        self.window = window;
        self
    }

    /// What `queue` requires of its players' presented records.
    pub fn requirement_of(&self, queue: &QueueSpec) -> &TrustRequirement {
        static NONE: TrustRequirement = TrustRequirement::None;
        self.requirements
            .iter()
            .find(|r| r.module == queue.module && r.mode == queue.mode)
            .map_or(&NONE, |r| &r.requires)
    }

    /// Checks ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let checks: [(&str, bool, &str); 11] = [
            (
                "matchmaking.avoid_list_max",
                self.avoid_list_max <= 100,
                "0..=100",
            ),
            (
                "matchmaking.avoid_penalty",
                (0..=10_000).contains(&self.avoid_penalty),
                "0..=10000",
            ),
            (
                "matchmaking.pass_interval_min_ms",
                (50..=self.pass_interval_max_ms).contains(&self.pass_interval_min_ms),
                "50..=pass_interval_max_ms",
            ),
            (
                "matchmaking.pass_interval_max_ms",
                self.pass_interval_max_ms <= 60_000,
                "..=60000",
            ),
            (
                "matchmaking.ready_check_secs",
                (5..=300).contains(&self.ready_check_secs),
                "5..=300",
            ),
            (
                "matchmaking.decline_cooldowns_secs",
                !self.decline_cooldowns_secs.is_empty(),
                "at least one value",
            ),
            (
                "matchmaking.neighbours",
                (1..=32).contains(&self.neighbours),
                "1..=32",
            ),
            (
                "matchmaking.relay_probe_secs",
                (1..=3600).contains(&self.relay_probe_secs),
                "1..=3600",
            ),
            (
                "matchmaking.leader_failover_secs",
                (1..=300).contains(&self.leader_failover_secs),
                "1..=300",
            ),
            (
                "matchmaking.low_priority_delay_secs",
                self.low_priority_delay_secs <= 3600,
                "0..=3600",
            ),
            (
                "matchmaking.veto_ban_secs",
                (5..=120).contains(&self.veto_ban_secs),
                "5..=120",
            ),
        ];
        for (key, ok, allowed) in checks {
            if !ok {
                return Err(format!("{key} must be in {allowed}"));
            }
        }
        for pool in &self.map_pools {
            pool.validate()
                .map_err(|problem| format!("matchmaking.map_pools: {problem}"))?;
            let offered = self.queues.iter().any(|queue| pool.serves(queue));
            if !offered {
                return Err(format!(
                    "matchmaking.map_pools: no queue {}/{} is offered",
                    pool.module, pool.mode
                ));
            }
        }
        for (index, requirement) in self.requirements.iter().enumerate() {
            let queue = format!("{}/{}", requirement.module, requirement.mode);
            if !self
                .queues
                .iter()
                .any(|q| q.module == requirement.module && q.mode == requirement.mode)
            {
                return Err(format!(
                    "matchmaking.requirements: no queue {queue} is offered"
                ));
            }
            if self.requirements[..index]
                .iter()
                .any(|r| r.module == requirement.module && r.mode == requirement.mode)
            {
                return Err(format!(
                    "matchmaking.requirements: queue {queue} is listed twice"
                ));
            }
            requirement
                .requires
                .validate()
                .map_err(|problem| format!("matchmaking.requirements ({queue}): {problem}"))?;
        }
        Ok(())
    }
}
