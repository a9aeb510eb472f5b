//! Every message between a game client and the relay, as one `Frame` enum.
//! The byte encoding (length-prefixed, versioned) is in `codec` and `docs/relay-protocol.md`.

mod codec;

pub use codec::{FRAME_VERSION, FrameError, MAX_FRAME_LEN, MAX_TICK_ORDERS, encode_tick_orders};

use scr::keys::PlayerKey;

use crate::cmr::{EndReason, MatchOutcome};
use crate::ids::{ObserverId, PlayerSlot, SimTick, TeamId};
use crate::order::{ChatChannel, PlayerOrder, TickOrders};

/// Largest CMR carried in a `CertifiedResult` frame.
pub const MAX_CMR_BYTES: usize = 4096;
/// Largest SCR carried in a `RatingUpdate` frame (envelope plus payload).
pub const MAX_SCR_BYTES: usize = 16 * 1024;
/// Most SCRs in one `RatingUpdate` frame (a rating and a match record, with room to spare).
pub const MAX_RATING_RECORDS: usize = 3;
/// Largest match ticket carried in a `Ticket` frame.
pub const MAX_TICKET_FRAME_BYTES: usize = crate::ticket::MAX_TICKET_BYTES;

/// One message on the client–relay connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Client → relay: who I am and which game I want to join.
    ClientHello {
        /// The player's identity key in the community.
        player_key: PlayerKey,
        /// The game session the client was handed off to.
        game_id: u64,
    },
    /// Relay → client: random bytes the client signs to prove its identity.
    AuthChallenge {
        /// 32 random bytes from the relay's random source.
        challenge: [u8; 32],
    },
    /// Client → relay: the signature over the challenge message (see `auth`).
    AuthResponse {
        /// Ed25519 signature by the identity key.
        signature: [u8; 64],
    },
    /// Client → relay: the signed match ticket that admits this player (sent after the hello).
    Ticket(Vec<u8>),
    /// Relay → client: authenticated and seated.
    AuthAccepted {
        /// Where the client sits.
        seat: Seat,
    },
    /// Relay → client: the match runs on this tick grid (sent when every seat is taken, and
    /// again to a player who reconnects).
    MatchStart {
        /// Relay clock (Unix µs) when tick 0's window opened.
        start_us: u64,
        /// Length of one tick (µs).
        tick_interval_us: u32,
        /// The tick collecting orders when the frame was sent.
        open_tick: SimTick,
    },
    /// Client → relay: the orders a player issued for one tick.
    OrderBatch(OrderBatch),
    /// Relay → client: the canonical (recipient-filtered) orders of one tick.
    TickOrders(TickOrders),
    /// Relay → client: how the player's batches arrived relative to the deadline.
    TimingFeedback(TimingFeedback),
    /// Client → relay: the truncated state hash after a tick.
    SyncHash {
        /// The tick the hash is for.
        tick: SimTick,
        /// The client's hash.
        hash: u64,
    },
    /// Client → relay: the client's simulation ended the game.
    GameEndedReport {
        /// The tick at which the simulation ended.
        tick: SimTick,
        /// What the simulation decided.
        outcome: SimOutcome,
        /// Full state hash of that tick.
        state_hash: [u8; 32],
    },
    /// Relay → client: a token the client must echo.
    Liveness {
        /// Random token.
        token: u32,
    },
    /// Client → relay: the echoed token.
    LivenessEcho {
        /// The token as received.
        token: u32,
    },
    /// Relay → client: the match is over.
    MatchEnd(MatchOutcome),
    /// Relay → client: the signed CertifiedMatchResult bytes.
    CertifiedResult(Vec<u8>),
    /// Relay → client: SCRs the ranking authority issued for this match.
    RatingUpdate(Vec<Vec<u8>>),
    /// Chat outside the order stream (lobby and post-game).
    Chat {
        /// Sender slot as stamped by the relay; `None` from clients and for system messages.
        sender: Option<PlayerSlot>,
        /// Who may read it.
        channel: ChatChannel,
        /// The message.
        text: String,
    },
    /// Either side: the connection is closing.
    Disconnect {
        /// Why.
        reason: DisconnectReason,
    },
    /// Relay → client: removed from the match.
    Kick {
        /// Why.
        reason: KickReason,
    },
    /// Relay → client: sync hashes diverged at this tick.
    DesyncDetected {
        /// The first divergent tick.
        tick: SimTick,
    },
    /// Relay → client: the match pauses after `tick` (the simulations stand still, ticks keep
    /// coming; clients keep sending batches) until a `Resumed`, at the latest at `until`.
    Paused {
        /// Who paused.
        player: PlayerSlot,
        /// The tick after which the simulations stand still.
        tick: SimTick,
        /// The tick at which the pause ends if nobody resumes.
        until: SimTick,
    },
    /// Relay → client: the match runs again after `tick`.
    Resumed {
        /// The tick the pause ended at.
        tick: SimTick,
        /// Ended by its time limit rather than by both sides.
        timed_out: bool,
    },
    /// Relay → client: the sender's pause or resume order changed nothing.
    PauseRefused {
        /// Why.
        reason: crate::pauses::PauseRefusal,
    },
}

/// Where an authenticated client sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// A player slot on a team.
    Player {
        /// The slot.
        slot: PlayerSlot,
        /// The team.
        team: TeamId,
    },
    /// A receive-only observer.
    Observer(ObserverId),
}

/// The orders one player issued for one tick, with client-clock timing hints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBatch {
    /// The tick the client issued these orders in.
    pub tick: SimTick,
    /// Client clock when the batch was sent (µs), for clock calibration.
    pub client_send_us: u64,
    /// The orders with their sub-tick hints.
    pub orders: Vec<ClientOrder>,
}

/// One order as a client submits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOrder {
    /// Client's claim of when in the tick the order was issued (µs); only a hint.
    pub sub_tick_hint_us: u32,
    /// The order.
    pub order: PlayerOrder,
}

/// Per-player timing feedback, sent once per QoS window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TimingFeedback {
    /// Mean margin of on-time batches before the deadline (µs).
    pub early_us: i32,
    /// Mean lateness of late batches past the deadline (µs).
    pub late_us: i32,
    /// How much earlier (positive) the client should submit (µs).
    pub recommended_offset_us: i32,
    /// Late batches in the window.
    pub late_count: u16,
}

/// What a client's simulation decided when it ended the game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimOutcome {
    /// A team won.
    Victory {
        /// The winner.
        winner: TeamId,
        /// Elimination or objective (surrender is decided by the relay, not reported).
        reason: EndReason,
    },
    /// Nobody won.
    Draw,
}

/// Why a connection closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The user left.
    Left,
    /// The peer stopped answering.
    Timeout,
    /// The peer broke the protocol.
    ProtocolError,
    /// The match is over and the post-game period ended.
    MatchOver,
    /// The ticket is valid but the relay does not admit it now: spectators are switched off,
    /// the match's spectator seats are full, or the match started before the spectator came.
    NotAdmitted,
    /// The relay is shutting down: it takes no new match, and ends running ones at the end of
    /// its drain (certified as `server_restart`).
    ServerRestart,
}

/// Why the relay removed a player.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KickReason {
    /// Too many missed deadlines (anti-lag-switch strikes).
    LagStrikes,
    /// The player's simulation alone diverged from the majority.
    Desync,
    /// The player stopped echoing liveness tokens.
    Unresponsive,
    /// The player broke the protocol.
    ProtocolViolation,
    /// Authentication failed.
    AuthenticationFailed,
    /// The player's team voted it out (an unranked match's kick vote).
    VotedOut,
}
