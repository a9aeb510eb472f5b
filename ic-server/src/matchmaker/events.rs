//! What the matchmaker tells a player on its event stream, as JSON objects tagged by `event`.

use scr::PlayerKey;
use serde::{Deserialize, Serialize};

/// One event for one player.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum QueueEvent {
    /// Waiting in a queue.
    Queued {
        /// `module/mode`, e.g. `ra/ranked_1v1`.
        queue: String,
        /// Players of the entry (a party lists all).
        #[schema(value_type = Vec<String>)]
        players: Vec<PlayerKey>,
    },
    /// Invited into a party; confirm with a rating record to queue together.
    PartyInvite {
        /// The party to confirm.
        party_id: u64,
        /// Who invited.
        #[schema(value_type = String)]
        leader: PlayerKey,
        /// `module/mode`.
        queue: String,
    },
    /// A match was found: accept before the deadline.
    MatchFound {
        /// The ready check to accept or decline.
        match_id: u64,
        /// Unix seconds by which every player must accept.
        accept_deadline: u64,
        /// Players in the match.
        players: usize,
        /// `module/mode`.
        queue: String,
    },
    /// Everyone accepted and the queue's pool runs the ranked veto: the sides ban in turn
    /// (`POST /v1/queue/matches/{id}/ban`) until one map is left. Anonymous: no names.
    MapVeto {
        /// The match.
        match_id: u64,
        /// The maps still in; one left is the match's map.
        maps: Vec<String>,
        /// Whether this player's side bans now.
        your_turn: bool,
        /// Unix seconds by which the side on turn bans, or a ban is picked for it.
        ban_deadline: u64,
    },
    /// Everyone accepted: connect to the relay with the ticket.
    MatchReady {
        /// The ready check that became a match.
        match_id: u64,
        /// Relay address (`host:port`, UDP).
        relay_address: String,
        /// The relay's key, to pin.
        relay_key: String,
        /// This player's match ticket, base64.
        ticket: String,
        /// The relay's game id for the match.
        game_id: u64,
    },
    /// Back in the queue (at the front): someone else declined or the relay failed.
    Requeued {
        /// Why.
        reason: String,
    },
    /// Out of the queue.
    Cancelled {
        /// `left`, `declined`, `no_answer`, `party_member_declined`, `party_cancelled`,
        /// `expired`.
        reason: String,
        /// Unix seconds until which joining is refused, when a cooldown was given.
        cooldown_until: Option<u64>,
    },
}
