//! Custom unranked rooms: a short code players share, seats handed out in join order, and one
//! relay-signed ticket per seat or spectator. A room closes when its match is over or never ran.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::{
    MatchSettings, MatchTicket, SignerKind, TicketError, TicketSeat, TicketSigner, tick_interval_us,
};
use scr::{CommunityKey, KeyPair, PlayerKey};

mod code;
mod request;
#[cfg(test)]
mod tests;

use code::new_code;
pub use code::{CODE_ALPHABET, normalize};
use request::validate;
pub use request::{MAX_ROOM_PLAYERS, RoomRequest};

use crate::federation::{Credential, TrustRequirement, Unmet};

/// A seat in a room (a player's or a spectator's) and the ticket that claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The room's code.
    pub code: String,
    /// The relay's id for the room's game.
    pub game_id: u64,
    /// Player slot and team, or spectator.
    pub seat: TicketSeat,
    /// The signed ticket for the relay.
    pub ticket: Vec<u8>,
    /// When the ticket stops admitting (Unix seconds).
    pub expires_at: i64,
}

/// Why a room request failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    /// A field is out of range.
    #[error("{0}")]
    BadRequest(String),
    /// No open room has this code (never existed, closed, or expired).
    #[error("no open room has this code")]
    NotFound,
    /// Every seat is taken.
    #[error("the room is full")]
    Full,
    /// Every spectator seat is taken, or this relay admits no spectators.
    #[error("the room admits no more spectators")]
    SpectatorsFull,
    /// The caller holds a player seat in the room, so cannot also watch it.
    #[error("you hold a player seat in this room; players cannot also spectate")]
    AlreadyPlaying,
    /// Signing the ticket failed (a request that passed validation should never get here).
    #[error("signing the ticket: {0}")]
    Ticket(#[from] TicketError),
    /// No free code was found (the relay has a huge number of open rooms).
    #[error("no free room code; try again")]
    NoFreeCode,
    /// The host already has as many open rooms as one player may.
    #[error("you already host {0} open rooms, the most one player may")]
    TooManyRooms(usize),
    /// The relay has as many open rooms as it takes.
    #[error("this relay has as many open rooms as it takes; try again later")]
    RoomsFull,
    /// The player's presented records do not meet the room's requirement.
    #[error(transparent)]
    RequirementUnmet(#[from] Unmet),
}

impl RoomError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "invalid_room",
            Self::NotFound => "room_not_found",
            Self::Full => "room_full",
            Self::SpectatorsFull => "spectators_full",
            Self::AlreadyPlaying => "already_playing",
            Self::Ticket(_) => "ticket_failed",
            Self::NoFreeCode => "no_free_code",
            Self::TooManyRooms(_) => "too_many_rooms",
            Self::RoomsFull => "rooms_full",
            Self::RequirementUnmet(unmet) => unmet.code(),
        }
    }
}

/// A listed room with a free seat, as the community's room list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRoom {
    /// The code to join with.
    pub code: String,
    /// Game module.
    pub module: String,
    /// Map name (may be empty: chosen in the game's lobby).
    pub map_name: String,
    /// Seats taken.
    pub seated: u8,
    /// Seats in all.
    pub players: u8,
    /// Teams.
    pub teams: u8,
    /// When the room was opened (Unix seconds).
    pub opened_at: i64,
    /// What it requires of its players' records.
    pub requires: TrustRequirement,
}

/// Whether a room's game is still worth joining, as the relay sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameState {
    /// No player connected yet.
    NotStarted,
    /// The match task runs (lobby or game).
    Running,
    /// The match ended.
    Finished,
}

/// How many rooms may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomLimits {
    /// On the relay.
    pub total: usize,
    /// Hosted by one player.
    pub per_host: usize,
}

struct Room {
    host: PlayerKey,
    game_id: u64,
    request: RoomRequest,
    seats: Vec<PlayerKey>,
    spectators: Vec<PlayerKey>,
    opened_at: i64,
}

/// The open rooms of one relay.
pub struct Rooms {
    relay: KeyPair,
    /// Seconds a room stays open while nobody has connected to its game, and a ticket admits
    /// (a ticket never outlives the room it seats).
    open_secs: i64,
    /// Spectators one room admits (the relay's limit per match).
    spectators_per_room: usize,
    limits: RoomLimits,
    // A std mutex: held for map operations only, never across an await.
    rooms: Mutex<HashMap<String, Room>>,
}

impl Rooms {
    /// Rooms whose tickets `relay` signs, open for `open_secs` while unplayed, each with up to
    /// `spectators_per_room` spectators, at most `limits` open at once.
    pub fn new(
        relay: KeyPair,
        open_secs: u64,
        spectators_per_room: usize,
        limits: RoomLimits,
    ) -> Self {
        Self {
            relay,
            open_secs: i64::try_from(open_secs).unwrap_or(i64::MAX),
            spectators_per_room,
            limits,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a room for `host`, who takes seat 0 and, like every player, must meet its
    /// requirement with the verified `credentials` it presented.
    pub fn open(
        &self,
        host: PlayerKey,
        request: RoomRequest,
        credentials: &[Credential],
        now: i64,
        game_state: impl Fn(u64) -> GameState,
    ) -> Result<Seat, RoomError> {
        validate(&request)?;
        request.requires.check(credentials)?;
        let mut rooms = self.lock();
        self.close_finished(&mut rooms, now, &game_state);
        let hosted = rooms.values().filter(|room| room.host == host).count();
        if hosted >= self.limits.per_host {
            return Err(RoomError::TooManyRooms(hosted));
        }
        if rooms.len() >= self.limits.total {
            return Err(RoomError::RoomsFull);
        }
        let mut rng = rand::rngs::OsRng;
        let code = (0..16)
            .map(|_| new_code(&mut rng))
            .find(|code| !rooms.contains_key(code))
            .ok_or(RoomError::NoFreeCode)?;
        let room = Room {
            host,
            game_id: rng.r#gen(),
            request,
            seats: vec![host],
            spectators: Vec::new(),
            opened_at: now,
        };
        let seat = self.seat(&code, &room, player_seat(&room.request, 0)?, host, now)?;
        rooms.insert(code, room);
        Ok(seat)
    }

    /// A seat in the room `code` for `player`: the seat it already holds, or the next free one.
    /// The verified `credentials` it presented must meet the room's requirement, at every join.
    pub fn join(
        &self,
        code: &str,
        player: PlayerKey,
        credentials: &[Credential],
        now: i64,
        game_state: impl Fn(u64) -> GameState,
    ) -> Result<Seat, RoomError> {
        self.claim(code, player, now, game_state, |room| {
            room.request.requires.check(credentials)?;
            let slot = match room.seats.iter().position(|p| *p == player) {
                Some(slot) => slot,
                None if room.seats.len() < usize::from(room.request.players) => {
                    room.seats.push(player);
                    room.seats.len() - 1
                }
                None => return Err(RoomError::Full),
            };
            player_seat(&room.request, slot)
        })
    }

    /// A spectator ticket for the room `code`: the relay admits it before or during the match
    /// and delays the game's feed. The same spectator asking again gets a fresh ticket.
    pub fn watch(
        &self,
        code: &str,
        spectator: PlayerKey,
        now: i64,
        game_state: impl Fn(u64) -> GameState,
    ) -> Result<Seat, RoomError> {
        self.claim(code, spectator, now, game_state, |room| {
            if room.seats.contains(&spectator) {
                return Err(RoomError::AlreadyPlaying);
            }
            if !room.spectators.contains(&spectator) {
                if room.spectators.len() >= self.spectators_per_room {
                    return Err(RoomError::SpectatorsFull);
                }
                room.spectators.push(spectator);
            }
            Ok(TicketSeat::Observer)
        })
    }

    /// The ticket for `holder` in the open room `code`, in the seat `pick` chooses.
    fn claim(
        &self,
        code: &str,
        holder: PlayerKey,
        now: i64,
        game_state: impl Fn(u64) -> GameState,
        pick: impl FnOnce(&mut Room) -> Result<TicketSeat, RoomError>,
    ) -> Result<Seat, RoomError> {
        let code = normalize(code).ok_or(RoomError::NotFound)?;
        let mut rooms = self.lock();
        self.close_finished(&mut rooms, now, &game_state);
        let room = rooms.get_mut(&code).ok_or(RoomError::NotFound)?;
        let seat = pick(room)?;
        self.seat(&code, room, seat, holder, now)
    }

    /// Listed rooms whose game has not started and that have a free seat, newest first.
    pub fn listed(&self, now: i64, game_state: impl Fn(u64) -> GameState) -> Vec<ListedRoom> {
        let mut rooms = self.lock();
        self.close_finished(&mut rooms, now, &game_state);
        let mut listed: Vec<ListedRoom> = rooms
            .iter()
            .filter(|(_, room)| {
                room.request.listed
                    && room.seats.len() < usize::from(room.request.players)
                    && game_state(room.game_id) == GameState::NotStarted
            })
            .map(|(code, room)| ListedRoom {
                code: code.clone(),
                module: room.request.module.clone(),
                map_name: room.request.map_name.clone(),
                // At most MAX_ROOM_PLAYERS seats are ever handed out.
                seated: u8::try_from(room.seats.len()).unwrap_or(u8::MAX),
                players: room.request.players,
                teams: room.request.teams,
                opened_at: room.opened_at,
                requires: room.request.requires.clone(),
            })
            .collect();
        listed.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(a.code.cmp(&b.code)));
        listed
    }

    /// Open rooms.
    pub fn open_rooms(&self) -> usize {
        self.lock().len()
    }

    /// Drops rooms whose game finished, and rooms nobody played within `open_secs`.
    fn close_finished(
        &self,
        rooms: &mut HashMap<String, Room>,
        now: i64,
        game_state: &impl Fn(u64) -> GameState,
    ) {
        rooms.retain(|_, room| match game_state(room.game_id) {
            GameState::Finished => false,
            GameState::Running => true,
            GameState::NotStarted => now.saturating_sub(room.opened_at) < self.open_secs,
        });
    }

    fn seat(
        &self,
        code: &str,
        room: &Room,
        seat: TicketSeat,
        holder: PlayerKey,
        now: i64,
    ) -> Result<Seat, RoomError> {
        let request = &room.request;
        let expires_at = now.saturating_add(self.open_secs);
        let ticket = MatchTicket {
            signer_kind: SignerKind::Relay,
            signer_key: self.relay.public_key(),
            // Nobody's community: the result of a custom room rates no one.
            community_key: CommunityKey::from_bytes([0; 32]),
            game_id: room.game_id,
            game_module: request.module.clone(),
            player_key: holder,
            seat,
            settings: MatchSettings {
                ranked: false,
                tick_interval_us: tick_interval_us(request.tick_rate),
                map_name: request.map_name.clone(),
                map_hash: request.map_hash,
                player_count: request.players,
            },
            issued_at: now,
            expires_at,
        };
        let signer = TicketSigner::new(SignerKind::Relay, self.relay.clone());
        Ok(Seat {
            code: code.to_owned(),
            game_id: room.game_id,
            seat,
            ticket: signer.sign(&ticket)?.into_bytes(),
            expires_at,
        })
    }
}

/// Player seat number `index` of a room: teams dealt in turn.
fn player_seat(request: &RoomRequest, index: usize) -> Result<TicketSeat, RoomError> {
    let slot = u8::try_from(index).map_err(|_| RoomError::Full)?;
    Ok(TicketSeat::Player {
        slot: PlayerSlot(slot),
        team: TeamId(slot % request.teams),
    })
}
