//! The connection lifecycle as types: Connecting → Authenticated → InLobby → InGame → PostGame.
//! Only a `Connection<InGame>` can hand orders, hashes or reports to `RelayCore`, so code that
//! forwards orders from an unauthenticated or finished connection does not compile.

use scr::keys::PlayerKey;
use scr::signature::{SignatureError, verify_signature};

use crate::core::RelayCore;
use crate::frames::Seat;

/// Domain tag of the authentication message.
pub const AUTH_DOMAIN: &[u8] = b"ic-relay-auth-v1";
/// ALPN protocol id of the relay's QUIC transport.
pub const ALPN: &[u8] = b"ic-relay/1";
/// TLS exporter label (RFC 8446 §7.5) of the 32-byte session binding both sides derive.
pub const TLS_EXPORTER_LABEL: &[u8] = b"EXPORTER-ic-relay-auth-v1";

/// State: hello received, challenge sent.
#[derive(Debug)]
pub struct Connecting;
/// State: the client proved its key.
#[derive(Debug)]
pub struct Authenticated;
/// State: waiting in the match lobby.
#[derive(Debug)]
pub struct InLobby;
/// State: playing or observing, in a known seat.
#[derive(Debug)]
pub struct InGame {
    seat: Seat,
}
/// State: the match ended; result and rating updates are delivered.
#[derive(Debug)]
pub struct PostGame;

/// One client connection in lifecycle state `S`.
#[derive(Debug)]
pub struct Connection<S> {
    player_key: PlayerKey,
    game_id: u64,
    challenge: [u8; 32],
    state: S,
}

/// Why authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The signature over the challenge did not verify.
    #[error("challenge signature: {0}")]
    Signature(#[from] SignatureError),
}

/// Why a connection could not take its seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeatError {
    /// The client asked for another game.
    #[error("connection is for game {asked}, this match is {actual}")]
    WrongGame {
        /// The game id in the hello.
        asked: u64,
        /// The match's game id.
        actual: u64,
    },
    /// The key has no seat in this match.
    #[error("key has no seat in this match")]
    NoSeat,
}

/// The bytes a client signs: domain tag, game id, the relay's challenge and the transport
/// session binding (a TLS exporter value), so a signature cannot be replayed elsewhere.
pub fn auth_message(game_id: u64, challenge: &[u8; 32], session_binding: &[u8; 32]) -> Vec<u8> {
    let mut message = Vec::with_capacity(AUTH_DOMAIN.len() + 8 + 64);
    message.extend_from_slice(AUTH_DOMAIN);
    message.extend_from_slice(&game_id.to_le_bytes());
    message.extend_from_slice(challenge);
    message.extend_from_slice(session_binding);
    message
}

impl<S> Connection<S> {
    fn into_state<T>(self, state: T) -> Connection<T> {
        Connection {
            player_key: self.player_key,
            game_id: self.game_id,
            challenge: self.challenge,
            state,
        }
    }

    /// The key the client claims (proven from `Authenticated` on).
    pub fn player_key(&self) -> PlayerKey {
        self.player_key
    }
}

impl Connection<Connecting> {
    /// A client said hello; `challenge` comes from the caller's random source.
    pub fn new(player_key: PlayerKey, game_id: u64, challenge: [u8; 32]) -> Self {
        Self {
            player_key,
            game_id,
            challenge,
            state: Connecting,
        }
    }

    /// The challenge to send in `AuthChallenge`.
    pub fn challenge(&self) -> [u8; 32] {
        self.challenge
    }

    /// Checks the client's signature over [`auth_message`].
    pub fn authenticate(
        self,
        signature: &[u8; 64],
        session_binding: &[u8; 32],
    ) -> Result<Connection<Authenticated>, AuthError> {
        let message = auth_message(self.game_id, &self.challenge, session_binding);
        verify_signature(&self.player_key.public_key(), &message, signature)?;
        Ok(self.into_state(Authenticated))
    }
}

impl Connection<Authenticated> {
    /// Enters the match lobby.
    pub fn join_lobby(self) -> Connection<InLobby> {
        self.into_state(InLobby)
    }
}

impl Connection<InLobby> {
    /// Takes the seat the match has for this key.
    pub fn start_game(self, core: &RelayCore) -> Result<Connection<InGame>, SeatError> {
        if self.game_id != core.game_id() {
            return Err(SeatError::WrongGame {
                asked: self.game_id,
                actual: core.game_id(),
            });
        }
        let seat = core.seat_of(&self.player_key).ok_or(SeatError::NoSeat)?;
        Ok(self.into_state(InGame { seat }))
    }
}

impl Connection<InGame> {
    /// Where this connection sits.
    pub fn seat(&self) -> Seat {
        self.state.seat
    }

    /// The match ended.
    pub fn end_game(self) -> Connection<PostGame> {
        self.into_state(PostGame)
    }
}

impl Connection<PostGame> {
    /// Back to the lobby after the post-game period.
    pub fn leave(self) -> Connection<InLobby> {
        self.into_state(InLobby)
    }
}
