//! What a host asks for when opening a room, and the limits it is checked against (a ticket's
//! own limits and what custom games need).

use relay_core::ticket::DEFAULT_TICK_RATE;

use super::RoomError;
use crate::federation::TrustRequirement;

/// Most seats in a room (relay tickets allow 32; custom games rarely go past 8v8).
pub const MAX_ROOM_PLAYERS: u8 = 16;
/// Longest game module name (the ticket limit is 255 bytes; module ids are short).
const MAX_MODULE_LEN: usize = 64;
/// Longest map name.
const MAX_MAP_LEN: usize = 128;

/// What the host asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRequest {
    /// Game module.
    pub module: String,
    /// Seats, 2 to [`MAX_ROOM_PLAYERS`].
    pub players: u8,
    /// Teams the seats are dealt into (seat `i` plays for team `i % teams`), 1 to `players`.
    pub teams: u8,
    /// Map name shown to players (may be empty: chosen in the game's lobby).
    pub map_name: String,
    /// SHA-256 of the map file (zeros when unknown).
    pub map_hash: [u8; 32],
    /// Ticks per second, 1 to 60.
    pub tick_rate: u32,
    /// Whether the room is shown in the community's list of open rooms; an unlisted room is
    /// found only by its code.
    pub listed: bool,
    /// What the room requires of the records its players present (the host's included).
    pub requires: TrustRequirement,
}

impl RoomRequest {
    /// A 1v1 of `module` at the default tick rate, map chosen in the game.
    pub fn duel(module: &str) -> Self {
        Self {
            module: module.to_owned(),
            players: 2,
            teams: 2,
            map_name: String::new(),
            map_hash: [0; 32],
            tick_rate: DEFAULT_TICK_RATE,
            listed: false,
            requires: TrustRequirement::None,
        }
    }
}

/// Checks the request against the limits; the error names the field.
pub(super) fn validate(request: &RoomRequest) -> Result<(), RoomError> {
    let bad = |message: String| Err(RoomError::BadRequest(message));
    if request.module.is_empty() || request.module.len() > MAX_MODULE_LEN {
        return bad(format!("module must be 1 to {MAX_MODULE_LEN} bytes"));
    }
    if request.map_name.len() > MAX_MAP_LEN {
        return bad(format!("map_name must be at most {MAX_MAP_LEN} bytes"));
    }
    if !(2..=MAX_ROOM_PLAYERS).contains(&request.players) {
        return bad(format!("players must be 2 to {MAX_ROOM_PLAYERS}"));
    }
    if !(1..=request.players).contains(&request.teams) {
        return bad("teams must be 1 to players".to_owned());
    }
    if !(1..=60).contains(&request.tick_rate) {
        return bad("tick_rate must be 1 to 60".to_owned());
    }
    if let Err(problem) = request.requires.validate() {
        return bad(format!("requires: {problem}"));
    }
    Ok(())
}
