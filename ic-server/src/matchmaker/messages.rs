//! What processes tell the leading matchmaker and what it tells them back, as JSON: requests
//! carry their origin (a process) so that answers and stream presence find their way home.

use scr::PlayerKey;
use serde::{Deserialize, Serialize};

use super::error::MatchmakerError;
use super::events::QueueEvent;
use super::state::{JoinChoices, Joined, Joining};

/// A request to the leader from process `origin`; `id` is unique within that process, and 0
/// for a request that wants no answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// The process that asks.
    pub origin: u64,
    /// Which of its requests this is.
    pub id: u64,
    /// What it asks.
    pub ask: Ask,
}

/// What a process asks of the leader.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Ask {
    /// Queue a player (or open a party) whose rating record the origin verified.
    Join {
        /// The verified player.
        joining: Joining,
        /// Its choices.
        choices: JoinChoices,
    },
    /// A party member confirms with its verified rating.
    Confirm {
        /// The party.
        party_id: u64,
        /// The verified member.
        joining: Joining,
    },
    /// Leave the queue.
    Leave {
        /// Who.
        player: PlayerKey,
    },
    /// Accept a found match.
    Accept {
        /// Who.
        player: PlayerKey,
        /// The ready check.
        match_id: u64,
    },
    /// Decline a found match.
    Decline {
        /// Who.
        player: PlayerKey,
        /// The ready check.
        match_id: u64,
    },
    /// Ban a map in a match's veto.
    Ban {
        /// Who.
        player: PlayerKey,
        /// The match.
        match_id: u64,
        /// The map's name.
        map: String,
    },
    /// Where the player stands.
    Status {
        /// Who.
        player: PlayerKey,
    },
    /// The player opened an event stream at the origin (answered with where it stands).
    StreamOpened {
        /// Who.
        player: PlayerKey,
    },
    /// The player closed an event stream at the origin.
    StreamClosed {
        /// Who.
        player: PlayerKey,
    },
    /// The origin is alive and holds these open streams (player, count); a process not
    /// heard from for a while is presumed gone with its streams.
    Present {
        /// Open streams per player.
        streams: Vec<(PlayerKey, usize)>,
    },
    /// Run a round of passes now (a test's hand-moved clock).
    Tick,
}

/// The leader's answer to a request.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// To `Join` and `Confirm`.
    Joined(Result<Joined, MatchmakerError>),
    /// To `Leave`, `Accept`, `Decline`, `Ban` and `Tick`.
    Done(Result<(), MatchmakerError>),
    /// To `Status` and `StreamOpened`.
    Events(Vec<QueueEvent>),
}

/// A message of the leader, heard by every process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum Message {
    /// An event for a player's streams, wherever they are open.
    Event {
        /// Who.
        player: PlayerKey,
        /// What.
        event: QueueEvent,
    },
    /// The answer to request `id` of process `origin`.
    Answer {
        /// The asking process.
        origin: u64,
        /// Its request.
        id: u64,
        /// The answer.
        answer: Answer,
    },
    /// A match was placed on a relay (every process lists it for spectators).
    Placed {
        /// `module/mode`.
        queue: String,
        /// Players of team 0 and team 1.
        teams: [Vec<PlayerKey>; 2],
        /// Where to connect.
        relay_address: String,
        /// The relay's key.
        relay_key: scr::RelayKey,
        /// The first player's signed ticket (base64), which carries the match's terms.
        ticket: String,
        /// When it was placed (Unix ms).
        placed_ms: u64,
    },
}
