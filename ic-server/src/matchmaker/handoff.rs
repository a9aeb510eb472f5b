//! The matchmaker's side of the relay hand-off: what a relay is asked to host, and what it
//! answers. A relay must have agreed to admit the match before any player is told to connect.

use async_trait::async_trait;
use relay_core::ticket::MatchTicket;
use scr::{PlayerKey, RelayKey};

/// A match every player accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPlan {
    /// Game module.
    pub module: String,
    /// Whether results change ratings.
    pub ranked: bool,
    /// Players of team 0 and team 1.
    pub teams: [Vec<PlayerKey>; 2],
    /// Regions every entry accepts (empty: any).
    pub regions: Vec<String>,
    /// Seconds the tickets stay valid.
    pub ticket_ttl_secs: u64,
    /// The map from the queue's pool, named in every ticket (and so in the certified result);
    /// `None`: the game chooses in its lobby.
    pub map: Option<crate::matchmaking::PoolMap>,
}

impl MatchPlan {
    /// The map as the tickets name it: its name and hash, or an empty name and zeros when
    /// the game chooses in its lobby.
    pub fn ticket_map(&self) -> (String, [u8; 32]) {
        self.map.as_ref().map_or((String::new(), [0; 32]), |map| {
            (map.name.clone(), map.hash_bytes())
        })
    }
}

/// A relay agreed to host the match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedOff {
    /// Where players connect (`host:port`, UDP).
    pub relay_address: String,
    /// The relay's key, which players pin.
    pub relay_key: RelayKey,
    /// What every ticket of the match says (signer, game id, module, settings); player, seat
    /// and times are the first player's. Spectator tickets repeat it.
    pub terms: MatchTicket,
    /// Each player's signed match ticket.
    pub tickets: Vec<(PlayerKey, Vec<u8>)>,
}

impl HandedOff {
    /// The relay's game id.
    pub fn game_id(&self) -> u64 {
        self.terms.game_id
    }
}

/// Why no relay took a match.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandoffError(pub String);

/// Something that finds a relay for a match and makes it ready to admit the players.
#[async_trait]
pub trait RelayHandoff: Send + Sync {
    /// Reserves `plan` on a relay at `now_ms`; the tickets it returns are admitted there.
    async fn hand_off(&self, plan: &MatchPlan, now_ms: u64) -> Result<HandedOff, HandoffError>;
}
