//! Custom unranked rooms: a short code players share, seats handed out in join order, and one
//! relay-signed ticket per seat or spectator. A room closes when its match is over or never ran.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::{
    DEFAULT_TICK_RATE, MatchSettings, MatchTicket, SignerKind, TicketError, TicketSeat,
    TicketSigner, tick_interval_us,
};
use scr::{CommunityKey, KeyPair, PlayerKey};

mod code;

use code::new_code;
pub use code::{CODE_ALPHABET, normalize};

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
        }
    }
}

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

struct Room {
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
    // A std mutex: held for map operations only, never across an await.
    rooms: Mutex<HashMap<String, Room>>,
}

impl Rooms {
    /// Rooms whose tickets `relay` signs, open for `open_secs` while unplayed, each with up to
    /// `spectators_per_room` spectators.
    pub fn new(relay: KeyPair, open_secs: u64, spectators_per_room: usize) -> Self {
        Self {
            relay,
            open_secs: i64::try_from(open_secs).unwrap_or(i64::MAX),
            spectators_per_room,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a room for `host`, who takes seat 0.
    pub fn open(
        &self,
        host: PlayerKey,
        request: RoomRequest,
        now: i64,
        game_state: impl Fn(u64) -> GameState,
    ) -> Result<Seat, RoomError> {
        validate(&request)?;
        let mut rooms = self.lock();
        self.close_finished(&mut rooms, now, &game_state);
        let mut rng = rand::rngs::OsRng;
        let code = (0..16)
            .map(|_| new_code(&mut rng))
            .find(|code| !rooms.contains_key(code))
            .ok_or(RoomError::NoFreeCode)?;
        let room = Room {
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
    pub fn join(
        &self,
        code: &str,
        player: PlayerKey,
        now: i64,
        game_state: impl Fn(u64) -> GameState,
    ) -> Result<Seat, RoomError> {
        self.claim(code, player, now, game_state, |room| {
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

fn validate(request: &RoomRequest) -> Result<(), RoomError> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use relay_core::ticket::TicketVerifier;

    use super::*;

    fn key(seed: u8) -> PlayerKey {
        KeyPair::from_seed([seed; 32]).public_key().into()
    }

    fn rooms() -> (Rooms, TicketVerifier) {
        let relay = KeyPair::from_seed([7; 32]);
        let verifier = TicketVerifier::new([(SignerKind::Relay, relay.public_key())]).unwrap();
        (Rooms::new(relay, 900, 2), verifier)
    }

    #[test]
    fn seats_are_dealt_in_join_order_into_teams_and_a_rejoin_keeps_its_seat() {
        let (rooms, verifier) = rooms();
        let request = RoomRequest {
            players: 4,
            ..RoomRequest::duel("ra")
        };
        let host = rooms
            .open(key(1), request, 1_000, |_| GameState::NotStarted)
            .unwrap();
        let guest = rooms
            .join(&host.code, key(2), 1_001, |_| GameState::NotStarted)
            .unwrap();
        let third = rooms
            .join(&host.code.to_lowercase(), key(3), 1_002, |_| {
                GameState::NotStarted
            })
            .unwrap();
        let again = rooms
            .join(&host.code, key(2), 1_003, |_| GameState::NotStarted)
            .unwrap();
        let seats: Vec<_> = [&host, &guest, &third, &again]
            .iter()
            .map(|s| s.seat)
            .collect();
        let player = |slot, team| TicketSeat::Player {
            slot: PlayerSlot(slot),
            team: TeamId(team),
        };
        assert_eq!(
            seats,
            vec![player(0, 0), player(1, 1), player(2, 0), player(1, 1)]
        );
        for (seat, player) in [(&host, key(1)), (&guest, key(2)), (&third, key(3))] {
            let verified = verifier.verify(&seat.ticket, 1_010).unwrap();
            let ticket = verified.ticket();
            assert_eq!(ticket.player_key, player);
            assert_eq!(ticket.game_id, host.game_id);
            assert!(!ticket.settings.ranked);
            assert_eq!(ticket.settings.player_count, 4);
            assert_eq!(ticket.community_key, CommunityKey::from_bytes([0; 32]));
        }
        rooms
            .join(&host.code, key(4), 1_004, |_| GameState::NotStarted)
            .unwrap();
        assert_eq!(
            rooms.join(&host.code, key(5), 1_005, |_| GameState::NotStarted),
            Err(RoomError::Full)
        );
    }

    #[test]
    fn spectators_get_observer_tickets_up_to_the_limit_and_players_cannot_also_watch() {
        let (rooms, verifier) = rooms();
        let open = |_: u64| GameState::NotStarted;
        let host = rooms
            .open(key(1), RoomRequest::duel("ra"), 1_000, open)
            .unwrap();
        let watcher = rooms.watch(&host.code, key(8), 1_001, open).unwrap();
        assert_eq!(watcher.seat, TicketSeat::Observer);
        let verified = verifier.verify(&watcher.ticket, 1_002).unwrap();
        assert_eq!(verified.player_key, key(8));
        assert_eq!(verified.seat, TicketSeat::Observer);
        assert_eq!(verified.game_id, host.game_id);
        assert_eq!(
            rooms.watch(&host.code, key(1), 1_003, open),
            Err(RoomError::AlreadyPlaying)
        );
        // Asking again keeps the spectator's place; a second spectator fills the limit.
        assert!(rooms.watch(&host.code, key(8), 1_004, open).is_ok());
        assert!(rooms.watch(&host.code, key(9), 1_005, open).is_ok());
        assert_eq!(
            rooms.watch(&host.code, key(10), 1_006, open),
            Err(RoomError::SpectatorsFull)
        );
        // Spectators never take a player seat.
        assert!(rooms.join(&host.code, key(2), 1_007, open).is_ok());
        assert_eq!(
            rooms.watch("AAA-AAA", key(11), 1_008, open),
            Err(RoomError::NotFound)
        );
    }

    #[test]
    fn a_room_closes_when_its_game_ends_or_never_starts() {
        let (rooms, _) = rooms();
        let state = Cell::new(GameState::NotStarted);
        let room = rooms
            .open(key(1), RoomRequest::duel("ra"), 0, |_| state.get())
            .unwrap();
        state.set(GameState::Running);
        // Long past the open window, but the game runs: the room stays (reconnects need it).
        assert!(
            rooms
                .join(&room.code, key(2), 5_000, |_| state.get())
                .is_ok()
        );
        state.set(GameState::Finished);
        assert_eq!(
            rooms.join(&room.code, key(2), 5_001, |_| state.get()),
            Err(RoomError::NotFound)
        );
        assert_eq!(rooms.open_rooms(), 0);

        let idle = rooms
            .open(key(1), RoomRequest::duel("ra"), 0, |_| {
                GameState::NotStarted
            })
            .unwrap();
        assert!(
            rooms
                .join(&idle.code, key(2), 899, |_| GameState::NotStarted)
                .is_ok()
        );
        assert_eq!(
            rooms.join(&idle.code, key(3), 900, |_| GameState::NotStarted),
            Err(RoomError::NotFound)
        );
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let (rooms, _) = rooms();
        let open = |request: RoomRequest| {
            rooms
                .open(key(1), request, 0, |_| GameState::NotStarted)
                .map(|_| ())
        };
        let duel = RoomRequest::duel("ra");
        for bad in [
            RoomRequest {
                players: 1,
                ..duel.clone()
            },
            RoomRequest {
                players: 17,
                ..duel.clone()
            },
            RoomRequest {
                teams: 3,
                ..duel.clone()
            },
            RoomRequest {
                teams: 0,
                ..duel.clone()
            },
            RoomRequest {
                tick_rate: 0,
                ..duel.clone()
            },
            RoomRequest {
                module: String::new(),
                ..duel.clone()
            },
            RoomRequest {
                map_name: "m".repeat(129),
                ..duel.clone()
            },
        ] {
            assert!(matches!(open(bad), Err(RoomError::BadRequest(_))));
        }
        assert_eq!(open(duel), Ok(()));
    }

    #[test]
    fn only_listed_rooms_with_a_free_seat_and_no_game_yet_are_listed() {
        let (rooms, _) = rooms();
        let not_started = |_| GameState::NotStarted;
        let listed = RoomRequest {
            listed: true,
            map_name: "Canyon".into(),
            ..RoomRequest::duel("ra")
        };
        let unlisted = rooms
            .open(key(1), RoomRequest::duel("ra"), 1_000, not_started)
            .unwrap();
        let older = rooms
            .open(key(2), listed.clone(), 1_001, not_started)
            .unwrap();
        let newer = rooms
            .open(key(3), listed.clone(), 1_002, not_started)
            .unwrap();
        let shown = rooms.listed(1_003, not_started);
        let codes: Vec<_> = shown.iter().map(|room| room.code.as_str()).collect();
        assert_eq!(codes, [newer.code.as_str(), older.code.as_str()]);
        assert!(!codes.contains(&unlisted.code.as_str()));
        assert_eq!(
            (
                shown[0].seated,
                shown[0].players,
                shown[0].map_name.as_str()
            ),
            (1, 2, "Canyon")
        );

        // Full, or its game started: no longer listed.
        rooms.join(&older.code, key(4), 1_004, not_started).unwrap();
        let started = |id| {
            if id == newer.game_id {
                GameState::Running
            } else {
                GameState::NotStarted
            }
        };
        assert!(rooms.listed(1_005, started).is_empty());
        // Unplayed past the open time: closed, so not listed either.
        assert!(rooms.listed(1_002 + 900, not_started).is_empty());
    }
}
