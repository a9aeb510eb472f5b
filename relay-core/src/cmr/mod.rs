//! The CertifiedMatchResult (CMR): what a relay signs at match end and ranking authorities consume.
//! Byte layout in `docs/cmr-format.md`; `codec` reads and writes it, `verify` checks signatures.

pub(crate) mod codec;
mod error;
mod verify;

pub use codec::{CMR_VERSION, MAX_PLAYERS, NO_DESYNC_TICK, SIGNATURE_LEN, SignedCmr};
pub use error::CmrError;
pub use verify::{MatchId, TrustedRelays, Verified};

use scr::keys::{CommunityKey, PlayerKey, RelayKey};

use crate::ids::{PlayerSlot, TeamId};

/// A match result as certified by a relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertifiedMatchResult {
    /// The relay that signs this result.
    pub relay_key: RelayKey,
    /// The community this result is valid for; other communities must refuse it.
    pub community_key: CommunityKey,
    /// The relay's id for the game session.
    pub game_id: u64,
    /// Game module, e.g. `ra1`.
    pub game_module: String,
    /// Map name as shown to players.
    pub map_name: String,
    /// SHA-256 of the map file.
    pub map_hash: [u8; 32],
    /// Whether the match was played for rating.
    pub ranked: bool,
    /// Length of one tick in microseconds (the tick rate).
    pub tick_interval_us: u32,
    /// The last tick the relay finalized.
    pub final_tick: u64,
    /// Match start, Unix microseconds.
    pub started_at_us: i64,
    /// Match end, Unix microseconds.
    pub ended_at_us: i64,
    /// How the match ended.
    pub outcome: MatchOutcome,
    /// How far observers' feed lagged behind, in ticks.
    pub observer_delay_ticks: u32,
    /// Every player (never observers), by ascending slot.
    pub players: Vec<CmrPlayer>,
    /// Full state hash of the terminal tick as the players reported it (zeros if unknown).
    pub final_state_hash: [u8; 32],
    /// SHA-256 of the canonical pre-filtering order stream.
    pub order_stream_hash: [u8; 32],
    /// SHA-256 of the bytes the relay handed to its replay sink.
    pub replay_hash: [u8; 32],
    /// First tick whose sync hashes diverged, if any did (even if the match continued).
    pub desync_tick: Option<u64>,
    /// The relay could not see the whole match (for example it lost contact with all players).
    pub degraded: bool,
}

/// One player of a certified match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmrPlayer {
    /// The player's seat.
    pub slot: PlayerSlot,
    /// The player's identity key in the community.
    pub key: PlayerKey,
    /// The player's team.
    pub team: TeamId,
    /// What the match means for this player.
    pub result: PlayerResult,
}

/// How a match ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOutcome {
    /// One team won.
    Completed {
        /// The winning team.
        winner: TeamId,
        /// Why the match ended.
        reason: EndReason,
    },
    /// Nobody won.
    Draw,
    /// A player left for good and that decided the match; the remaining side wins.
    Abandoned {
        /// The player whose abandonment ended the match.
        leaver: PlayerSlot,
    },
    /// Voided by a remake vote: no rating change.
    Remade,
    /// Voided because a player left within the grace period at the start (the grace void): no
    /// rating change; the leaver's result is "abandoned" and earns the short cooldown.
    GraceVoided {
        /// The player whose early abandon voided the match.
        leaver: PlayerSlot,
    },
    /// Ended by the relay's shutdown (its drain ran out before the match did): no rating
    /// change, nobody penalized.
    ServerRestart,
    /// Ended because the players' simulations diverged: no rating change.
    DesyncTerminated {
        /// The first tick whose hashes diverged.
        first_divergence_tick: u64,
    },
}

/// Why a completed match ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The simulation reported that the losing side was eliminated.
    Elimination,
    /// The simulation reported that an objective was reached.
    Objective,
    /// The losing side surrendered (a relay-resolved vote).
    Surrender,
}

/// Per-player result; codes 1–4 are the SCR match record's `result` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerResult {
    /// No rated result (remake, desync).
    NoResult,
    /// The player's team won.
    Win,
    /// The player's team lost.
    Loss,
    /// Nobody won.
    Draw,
    /// The player abandoned the match.
    Abandoned,
    /// The player was removed because its simulation alone diverged.
    DroppedForDesync,
}

impl PlayerResult {
    /// The byte written to the record.
    pub fn code(self) -> u8 {
        match self {
            Self::NoResult => 0,
            Self::Win => 1,
            Self::Loss => 2,
            Self::Draw => 3,
            Self::Abandoned => 4,
            Self::DroppedForDesync => 5,
        }
    }

    /// Reads the byte written by [`Self::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::NoResult,
            1 => Self::Win,
            2 => Self::Loss,
            3 => Self::Draw,
            4 => Self::Abandoned,
            5 => Self::DroppedForDesync,
            _ => return None,
        })
    }
}

impl EndReason {
    /// The byte written to the record.
    pub fn code(self) -> u8 {
        match self {
            Self::Elimination => 1,
            Self::Objective => 2,
            Self::Surrender => 3,
        }
    }

    /// Reads the byte written by [`Self::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::Elimination,
            2 => Self::Objective,
            3 => Self::Surrender,
            _ => return None,
        })
    }
}
