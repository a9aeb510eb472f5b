//! Match tickets: the small signed record that admits one player to one match on a relay.
//! Byte layout in `docs/ticket-format.md`; `codec` reads and writes it, `verify` checks trust.

mod codec;
mod error;
mod verify;

pub use codec::{MAX_TICKET_BYTES, SignedTicket, TICKET_VERSION, TicketSigner};
pub use error::TicketError;
pub use verify::{MAX_CLOCK_SKEW_SECS, TicketVerifier, VerifiedTicket};

use scr::keys::{CommunityKey, PlayerKey, PublicKey};

use crate::ids::{PlayerSlot, TeamId};

/// Who signed a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignerKind {
    /// The community's signing key (matchmaking, ranked or casual community games).
    Community,
    /// The relay's own key (unranked custom rooms the relay hands out itself).
    Relay,
}

impl SignerKind {
    /// The byte written to the ticket.
    pub fn code(self) -> u8 {
        match self {
            Self::Community => 1,
            Self::Relay => 2,
        }
    }

    /// Reads the byte written by [`Self::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Community),
            2 => Some(Self::Relay),
            _ => None,
        }
    }
}

/// Ticks per second of a match unless its queue or room says otherwise (DESIGN.md §4.8).
pub const DEFAULT_TICK_RATE: u32 = 15;

/// The length of one tick at `ticks_per_second` (at least 1), in whole microseconds rounded to
/// the nearest: 66 667 for 15 ticks/s.
pub fn tick_interval_us(ticks_per_second: u32) -> u32 {
    let rate = ticks_per_second.max(1);
    (1_000_000 + rate / 2) / rate
}

/// What every ticket of one match must agree on; the first admitted ticket fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchSettings {
    /// Played for rating (only community-signed tickets may say so).
    pub ranked: bool,
    /// Length of one tick in microseconds (66 667 for 15 ticks/s); never 0.
    pub tick_interval_us: u32,
    /// Map name as shown to players (at most 255 bytes).
    pub map_name: String,
    /// SHA-256 of the map file.
    pub map_hash: [u8; 32],
    /// How many player seats the match has, 1 to 32; the match starts when all are taken.
    pub player_count: u8,
}

/// Where a ticket puts its holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketSeat {
    /// A player seat; `slot` is below `settings.player_count`.
    Player {
        /// The player's seat.
        slot: PlayerSlot,
        /// The player's team.
        team: TeamId,
    },
    /// A receive-only observer: the relay assigns the observer seat and delays its feed.
    Observer,
}

impl TicketSeat {
    /// The player slot, or `None` for an observer.
    pub fn slot(self) -> Option<PlayerSlot> {
        match self {
            Self::Player { slot, .. } => Some(slot),
            Self::Observer => None,
        }
    }
}

/// A match ticket: admits `player_key` to game `game_id` in `seat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchTicket {
    /// Who signed it.
    pub signer_kind: SignerKind,
    /// The signing key (the community's SK or the relay's key).
    pub signer_key: PublicKey,
    /// The community the result will be valid for; all zeros for an unranked relay-signed room.
    /// For a community-signed ticket it equals `signer_key`.
    pub community_key: CommunityKey,
    /// The relay's id for the game session.
    pub game_id: u64,
    /// Game module, e.g. `ra1` (at most 255 bytes).
    pub game_module: String,
    /// The admitted player's identity key.
    pub player_key: PlayerKey,
    /// A player seat (slot and team) or an observer seat.
    pub seat: TicketSeat,
    /// The match's settings.
    pub settings: MatchSettings,
    /// When the ticket was issued, Unix seconds.
    pub issued_at: i64,
    /// When the ticket stops admitting, Unix seconds; after `issued_at`.
    pub expires_at: i64,
}
