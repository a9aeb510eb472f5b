//! What a match starts with: its metadata and seats, and the relay's tunables with defaults.
//! Validated once in `RelayCore::new`.

use std::collections::BTreeSet;

use scr::keys::{CommunityKey, PlayerKey, RelayKey};

use crate::cmr::MAX_PLAYERS;
use crate::ids::{ObserverId, PlayerSlot, TeamId};
use crate::qos::QosProfile;

/// A player seat at match start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlayerSeat {
    /// Slot.
    pub slot: PlayerSlot,
    /// Team.
    pub team: TeamId,
    /// Identity key.
    pub key: PlayerKey,
}

/// An observer seat at match start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObserverSeat {
    /// Observer id.
    pub id: ObserverId,
    /// Identity key.
    pub key: PlayerKey,
}

/// The match as the lobby or matchmaker handed it to the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchSetup {
    /// The key that will sign the result.
    pub relay_key: RelayKey,
    /// The community the result is for.
    pub community_key: CommunityKey,
    /// The relay's game session id.
    pub game_id: u64,
    /// Game module.
    pub game_module: String,
    /// Map name.
    pub map_name: String,
    /// SHA-256 of the map.
    pub map_hash: [u8; 32],
    /// Ranked match (selects the ranked QoS profile unless overridden).
    pub ranked: bool,
    /// Tick length (µs); 66 667 is the default 15 ticks/s.
    pub tick_interval_us: u32,
    /// Relay clock (Unix µs) when tick 0's window opens.
    pub start_us: u64,
    /// Player seats.
    pub players: Vec<PlayerSeat>,
    /// Observer seats.
    pub observers: Vec<ObserverSeat>,
}

/// Relay tunables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayConfig {
    /// Missed deadlines after which a player is disconnected (0 = never). Default 45 (3 s at
    /// 15 ticks/s, cumulative) so a short spike never kicks, but a lag switch used repeatedly does.
    pub strike_threshold: u32,
    /// How long a disconnected or unresponsive player may take to come back (µs). Default 60 s.
    pub reconnect_timeout_us: u64,
    /// Sync hashes are compared every this many ticks. Default 30.
    pub sync_check_interval_ticks: u64,
    /// How long to wait for missing game-ended reports after the first (µs). Default 30 s.
    pub report_timeout_us: u64,
    /// Remake votes count only before this much match time (µs). Default 5 min.
    pub remake_window_us: u64,
    /// Observer feed delay in ticks. Default 0.
    pub observer_delay_ticks: u32,
    /// QoS profile; `None` picks ranked or casual from the setup.
    pub qos_profile: Option<QosProfile>,
    /// Furthest future tick a batch may be for, relative to the open tick. Default 16.
    pub max_future_ticks: u64,
    /// Batches that lost orders to the filters (over budget, too many, too large) after which
    /// the player is kicked for flooding (0 = never). Default 32, cumulative: a burst is only
    /// throttled, a client that keeps flooding is removed.
    pub flood_kick_threshold: u32,
    /// Game time at the start within which a player who leaves (and does not come back) voids
    /// the match instead of losing it (µs; 0 = never). Default 120 s, the reference's grace.
    pub grace_void_us: u64,
    /// A tick finalized more than this after its deadline is late (µs; 0 = never degraded).
    /// Default 250 ms.
    pub degraded_lateness_us: u64,
    /// This many late ticks in a row mark the match degraded (the relay's own conditions were
    /// bad). Default 20 (1 s at 20 ticks/s: a stall that long, not a hiccup).
    pub degraded_late_ticks: u32,
    /// Loss (permille of the relay's packets) to every player at once that counts as the
    /// relay's own (0 = never degraded). Default 50 (5 %).
    pub degraded_loss_permille: u32,
    /// This many loss windows in a row (the embedding observes one a second) mark the match
    /// degraded. Default 10.
    pub degraded_loss_windows: u32,
    /// Pause rules; `None` picks `PauseRules::RANKED` or `CASUAL` from the setup.
    pub pause_rules: Option<crate::pauses::PauseRules>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            strike_threshold: 45,
            reconnect_timeout_us: 60_000_000,
            sync_check_interval_ticks: 30,
            report_timeout_us: 30_000_000,
            remake_window_us: 300_000_000,
            observer_delay_ticks: 0,
            qos_profile: None,
            max_future_ticks: 16,
            flood_kick_threshold: 32,
            grace_void_us: 120_000_000,
            degraded_lateness_us: 250_000,
            degraded_late_ticks: 20,
            degraded_loss_permille: 50,
            degraded_loss_windows: 10,
            pause_rules: None,
        }
    }
}

/// Why a match cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// Fewer than 1 or more than 32 players.
    #[error("a match needs 1 to {MAX_PLAYERS} players, got {0}")]
    PlayerCount(usize),
    /// Two seats share a slot, observer id or key.
    #[error("duplicate seat or key: {0}")]
    Duplicate(String),
    /// The tick length is zero.
    #[error("tick interval must be positive")]
    ZeroTick,
    /// Module or map name over 255 bytes (they must fit the certified result).
    #[error("{0} is longer than 255 bytes")]
    NameTooLong(&'static str),
}

impl MatchSetup {
    pub(crate) fn validate(&self) -> Result<(), SetupError> {
        if self.players.is_empty() || self.players.len() > MAX_PLAYERS {
            return Err(SetupError::PlayerCount(self.players.len()));
        }
        if self.tick_interval_us == 0 {
            return Err(SetupError::ZeroTick);
        }
        if self.game_module.len() > 255 {
            return Err(SetupError::NameTooLong("game_module"));
        }
        if self.map_name.len() > 255 {
            return Err(SetupError::NameTooLong("map_name"));
        }
        let mut slots = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for seat in &self.players {
            if !slots.insert(seat.slot) || !keys.insert(seat.key) {
                return Err(SetupError::Duplicate(format!("{}", seat.slot)));
            }
        }
        let mut observers = BTreeSet::new();
        for seat in &self.observers {
            if !observers.insert(seat.id) || !keys.insert(seat.key) {
                return Err(SetupError::Duplicate(format!("observer {}", seat.id.0)));
            }
        }
        Ok(())
    }
}
