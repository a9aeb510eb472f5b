//! Everything noteworthy the core did, reported to the embedding after each finalize.
//! The embedding turns these into frames (kicks, feedback, match end), logs and metrics.

use crate::cmr::MatchOutcome;
use crate::filters::RejectReason;
use crate::frames::{KickReason, TimingFeedback};
use crate::ids::{PlayerSlot, SimTick};
use crate::qos::QosAdjustment;

/// One event of the relay core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayEvent {
    /// Orders or a whole batch were dropped by a filter.
    OrdersDropped {
        /// Sender.
        player: PlayerSlot,
        /// How many orders.
        count: usize,
        /// Why.
        reason: RejectReason,
    },
    /// A batch arrived after its tick's deadline and was dropped.
    LateBatch {
        /// Sender.
        player: PlayerSlot,
        /// The tick it was for.
        tick: SimTick,
        /// How late (µs).
        lateness_us: u64,
    },
    /// A player missed a tick's deadline and got `Idle`.
    Strike {
        /// The player.
        player: PlayerSlot,
        /// Strikes so far.
        total: u32,
    },
    /// The embedding must close this player's connection and send `Kick`.
    Kicked {
        /// The player.
        player: PlayerSlot,
        /// Why.
        reason: KickReason,
    },
    /// A chat-restricted player's chat order was withheld from every recipient (the embedding
    /// tells the player once).
    ChatWithheld {
        /// The player.
        player: PlayerSlot,
    },
    /// The relay's own conditions were bad for a sustained stretch: the result will be
    /// certified as degraded (reported once per match, for the first condition met).
    Degraded {
        /// The tick at which it became degraded.
        tick: SimTick,
        /// What was bad.
        cause: DegradedCause,
    },
    /// The match pauses after `tick` (the embedding sends `Paused` to everyone).
    Paused {
        /// Who paused.
        player: PlayerSlot,
        /// The tick after which the simulations stand still.
        tick: SimTick,
        /// The tick at which the pause ends if nobody resumes.
        until: SimTick,
    },
    /// The match runs again after `tick` (the embedding sends `Resumed` to everyone).
    Resumed {
        /// The tick the pause ended at.
        tick: SimTick,
        /// Ended by its time limit rather than by both sides.
        timed_out: bool,
    },
    /// A pause or resume order was refused (the embedding tells the player).
    PauseRefused {
        /// The player.
        player: PlayerSlot,
        /// Why.
        reason: crate::pauses::PauseRefusal,
    },
    /// A clock sample was rejected as skew.
    ClockSkewRejected {
        /// The player.
        player: PlayerSlot,
    },
    /// Too many skewed samples in a row: calibration restarted.
    CalibrationReset {
        /// The player.
        player: PlayerSlot,
    },
    /// The player stopped echoing liveness tokens.
    PlayerUnresponsive {
        /// The player.
        player: PlayerSlot,
    },
    /// The player was unresponsive or disconnected past the reconnect timeout.
    PlayerAbandoned {
        /// The player.
        player: PlayerSlot,
        /// Tick of the announcement; every client removes the player at this tick.
        tick: SimTick,
    },
    /// Sync hashes diverged (sent to clients as `DesyncDetected`).
    DesyncDetected {
        /// The compared tick.
        tick: SimTick,
    },
    /// A lone divergent player was removed; the others continue.
    PlayerDropped {
        /// The player.
        player: PlayerSlot,
        /// Tick of the announcement.
        tick: SimTick,
    },
    /// The deadline or run-ahead changed.
    QosAdjusted(QosAdjustment),
    /// Per-window timing feedback for one player.
    TimingFeedback {
        /// The player.
        player: PlayerSlot,
        /// The feedback frame body.
        feedback: TimingFeedback,
    },
    /// A remake vote arrived after the remake window and was ignored.
    RemakeVoteIgnored {
        /// The voter.
        player: PlayerSlot,
    },
    /// The match is over.
    MatchEnded(MatchOutcome),
}

/// Why the relay marked a match degraded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DegradedCause {
    /// It finalized ticks late (its host stalled or was overloaded).
    Lateness,
    /// Its packets to every player were lost (its own network).
    Loss,
}
