//! `RelayCore`: one match's relay state. Batches in, canonical ticks out; every change of state
//! goes through its methods, and time, randomness and keys arrive as arguments.

mod certify;
mod events;
mod finalize;
mod inbound;
mod inputs;
mod roster;
mod setup;

pub use certify::CertifyError;
pub use events::{DegradedCause, RelayEvent};
pub use roster::{PlayerStatus, Roster, RosterObserver, RosterPlayer, StatusError};
pub use setup::{MatchSetup, ObserverSeat, PlayerSeat, RelayConfig, SetupError};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use scr::keys::PlayerKey;

use crate::cmr::MatchOutcome;
use crate::degradation::{DegradationMonitor, LossMonitor};
use crate::desync::DesyncDetector;
use crate::filters::{
    ChainConfig, FilterSummary, RecipientFeed, RejectReason, RelayFilter, ReplaySink,
    standard_chain,
};
use crate::frames::Seat;
use crate::ids::{ObserverId, PlayerSlot, SimTick};
use crate::kick_votes::KickVotes;
use crate::liveness::Liveness;
use crate::match_end::MatchEndTracker;
use crate::order::{TickOrders, TimestampedOrder};
use crate::order_hash::OrderStreamHasher;
use crate::pauses::{PauseRules, PauseTracker};
use crate::qos::{PlayerCalibration, QosController, QosProfile};
use crate::time::{ClockCalibration, TickClock};

/// What happened to a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Queued for `tick` (the budget may have cut some orders: see `OrdersDropped`).
    Accepted {
        /// The tick it will execute in.
        tick: SimTick,
    },
    /// Arrived after its tick's deadline: dropped (the tick got or will get `Idle`).
    Late {
        /// The tick it was for.
        tick: SimTick,
    },
    /// A filter refused the whole batch.
    Rejected(RejectReason),
}

/// A call the core refuses (the caller's state is out of step with the match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The match already has an outcome.
    #[error("the match is over")]
    MatchOver,
    /// Observers cannot send orders, hashes or reports.
    #[error("observers cannot do this")]
    NotAPlayer,
    /// The key already has a seat, or every observer seat is taken.
    #[error("no observer seat for this key")]
    NoObserverSeat,
    /// The first mid-match observer came without exactly the unreleased ticks.
    #[error("the first observer must bring the unreleased ticks")]
    ObserverHistory,
    /// The player is not connected (or has left the match).
    #[error("{0} is not connected")]
    NotConnected(PlayerSlot),
    /// The batch is for a tick too far in the future.
    #[error("batch for tick {tick} is beyond the buffering horizon")]
    TooFarAhead {
        /// The batch's tick.
        tick: SimTick,
    },
    /// A status change the lifecycle does not allow.
    #[error(transparent)]
    Status(#[from] StatusError),
}

/// The result of finalizing one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizedTick {
    /// The canonical list, as hashed and recorded.
    pub canonical: Arc<TickOrders>,
    /// Per-recipient copies to send.
    pub feeds: Vec<RecipientFeed>,
    /// What happened since the previous finalize.
    pub events: Vec<RelayEvent>,
}

#[derive(Default)]
struct TickBucket {
    orders: Vec<TimestampedOrder>,
    present: BTreeSet<PlayerSlot>,
    counts: BTreeMap<PlayerSlot, usize>,
}

/// One match's relay.
pub struct RelayCore {
    setup: MatchSetup,
    config: RelayConfig,
    clock: TickClock,
    roster: Roster,
    open_tick: SimTick,
    pending: BTreeMap<SimTick, TickBucket>,
    calibrations: BTreeMap<PlayerSlot, ClockCalibration>,
    one_way_us: BTreeMap<PlayerSlot, u64>,
    filters: Vec<Box<dyn RelayFilter>>,
    hasher: OrderStreamHasher,
    desync: DesyncDetector,
    liveness: BTreeMap<PlayerSlot, Liveness>,
    qos: QosController,
    end: MatchEndTracker,
    outcome: Option<MatchOutcome>,
    final_state_hash: [u8; 32],
    degraded: bool,
    /// Marks the match degraded when the relay itself finalizes late.
    lateness: DegradationMonitor,
    /// Marks the match degraded when the relay's packets to every player are lost.
    loss: LossMonitor,
    /// Who paused, and until when.
    pauses: PauseTracker,
    /// Kick votes (unranked matches only).
    kick_votes: KickVotes,
    events: Vec<RelayEvent>,
    /// Per player, batches that lost orders to the filters (never forgiven, like lag strikes).
    flood_strikes: BTreeMap<PlayerSlot, u32>,
    /// Players the relay kicked: a kick is a loss, never a grace void.
    kicked: BTreeSet<PlayerSlot>,
}

impl RelayCore {
    /// A match with the standard filter chain recording its replay into `replay`.
    pub fn new(
        setup: MatchSetup,
        config: RelayConfig,
        replay: Box<dyn ReplaySink>,
    ) -> Result<Self, SetupError> {
        let chain = standard_chain(
            ChainConfig {
                strike_threshold: config.strike_threshold,
                observer_delay_ticks: config.observer_delay_ticks,
            },
            replay,
        );
        Self::with_filters(setup, config, chain)
    }

    /// A match with a caller-assembled filter chain.
    pub fn with_filters(
        setup: MatchSetup,
        config: RelayConfig,
        filters: Vec<Box<dyn RelayFilter>>,
    ) -> Result<Self, SetupError> {
        setup.validate()?;
        let players = setup
            .players
            .iter()
            .map(|seat| RosterPlayer {
                slot: seat.slot,
                team: seat.team,
                key: seat.key,
                status: PlayerStatus::Active,
            })
            .collect();
        let observers = setup
            .observers
            .iter()
            .map(|seat| RosterObserver {
                id: seat.id,
                key: seat.key,
            })
            .collect();
        let tick_us = u64::from(setup.tick_interval_us);
        let profile = config.qos_profile.unwrap_or(if setup.ranked {
            QosProfile::RANKED
        } else {
            QosProfile::CASUAL
        });
        Ok(Self {
            clock: TickClock {
                start_us: setup.start_us,
                tick_us,
            },
            roster: Roster::new(players, observers),
            open_tick: 0,
            pending: BTreeMap::new(),
            calibrations: BTreeMap::new(),
            one_way_us: BTreeMap::new(),
            filters,
            hasher: OrderStreamHasher::default(),
            desync: DesyncDetector::new(config.sync_check_interval_ticks),
            liveness: BTreeMap::new(),
            qos: QosController::new(profile, tick_us),
            end: MatchEndTracker::new(config.remake_window_us, config.report_timeout_us),
            outcome: None,
            final_state_hash: [0; 32],
            degraded: false,
            kick_votes: KickVotes::new(setup.ranked),
            pauses: PauseTracker::new(config.pause_rules.unwrap_or(if setup.ranked {
                PauseRules::RANKED
            } else {
                PauseRules::CASUAL
            })),
            lateness: DegradationMonitor::new(
                config.degraded_lateness_us,
                config.degraded_late_ticks,
            ),
            loss: LossMonitor::new(config.degraded_loss_permille, config.degraded_loss_windows),
            events: Vec::new(),
            flood_strikes: BTreeMap::new(),
            kicked: BTreeSet::new(),
            setup,
            config,
        })
    }

    /// The relay's game session id.
    pub fn game_id(&self) -> u64 {
        self.setup.game_id
    }

    /// The seat for an identity key, if it has one.
    pub fn seat_of(&self, key: &PlayerKey) -> Option<Seat> {
        if let Some(p) = self.roster.players().find(|p| p.key == *key) {
            return Some(Seat::Player {
                slot: p.slot,
                team: p.team,
            });
        }
        self.roster
            .observers()
            .find(|o| o.key == *key)
            .map(|o| Seat::Observer(o.id))
    }

    /// Players and observers with their status.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Seats an observer while the match runs. Its feed starts with the next tick released to
    /// observers; the ticks up to [`Self::observer_released_through`] it needs from the replay.
    ///
    /// Nothing is held back while nobody watches, so the first observer must bring the
    /// observers' view of the ticks after that up to the last finalized one
    /// ([`Self::observer_unreleased`]), read back from the replay; with others already
    /// watching, `unreleased` is not used.
    pub fn add_observer(
        &mut self,
        key: PlayerKey,
        unreleased: &[TickOrders],
    ) -> Result<ObserverId, CoreError> {
        if self.outcome.is_some() {
            return Err(CoreError::MatchOver);
        }
        let first = self.roster.observers().next().is_none();
        if first {
            let expected: Vec<SimTick> = self.observer_unreleased().collect();
            let given: Vec<SimTick> = unreleased.iter().map(|t| t.tick).collect();
            if given != expected {
                return Err(CoreError::ObserverHistory);
            }
        }
        let id = self
            .roster
            .add_observer(key)
            .ok_or(CoreError::NoObserverSeat)?;
        if first {
            let held: Vec<Arc<TickOrders>> = unreleased.iter().cloned().map(Arc::new).collect();
            for filter in &mut self.filters {
                filter.restore_held(&held);
            }
        }
        Ok(id)
    }

    /// The ticks finalized but not yet released to observers, oldest first.
    pub fn observer_unreleased(&self) -> std::ops::Range<SimTick> {
        let from = self.observer_released_through().map_or(0, |tick| tick + 1);
        from..self.open_tick
    }

    /// The last tick already released to observers (`None` before the first): what a
    /// mid-match observer must be sent from the replay before its own feed continues.
    pub fn observer_released_through(&self) -> Option<SimTick> {
        let finalized = self.open_tick.checked_sub(1)?;
        crate::filters::ObserverDelay::released_through(self.config.observer_delay_ticks, finalized)
    }

    /// Relay clock (Unix µs) at which tick 0's window opened.
    pub fn start_us(&self) -> u64 {
        self.setup.start_us
    }

    /// Length of one tick (µs).
    pub fn tick_interval_us(&self) -> u32 {
        self.setup.tick_interval_us
    }

    /// The tick currently collecting orders.
    pub fn open_tick(&self) -> SimTick {
        self.open_tick
    }

    /// Relay time at which the caller must call [`Self::finalize_tick`] next.
    pub fn next_deadline_us(&self) -> u64 {
        self.clock.deadline(self.open_tick, self.qos.deadline_us())
    }

    /// The match-global deadline after a tick opens (µs).
    pub fn deadline_us(&self) -> u64 {
        self.qos.deadline_us()
    }

    /// The match-global run-ahead (ticks).
    pub fn run_ahead(&self) -> u32 {
        self.qos.run_ahead()
    }

    /// A player's clock calibration.
    pub fn calibration(&self, player: PlayerSlot) -> Option<&ClockCalibration> {
        self.calibrations.get(&player)
    }

    /// SHA-256 of the canonical order stream so far.
    pub fn order_stream_hash(&self) -> [u8; 32] {
        self.hasher.current()
    }

    /// The outcome, once decided.
    pub fn check_match_end(&self) -> Option<MatchOutcome> {
        self.outcome
    }

    /// Records one window (about a second) of the relay's packet loss to each connected player,
    /// in permille of the packets it sent them: loss to every player for a sustained stretch
    /// degrades the match (`RelayEvent::Degraded` with cause `Loss`, once).
    pub fn observe_relay_loss(&mut self, losses_permille: &[u32]) {
        // Reported once per match, whichever condition came first.
        if self.outcome.is_none() && self.loss.observe(losses_permille) && !self.degraded {
            self.degraded = true;
            self.events.push(RelayEvent::Degraded {
                tick: self.open_tick,
                cause: DegradedCause::Loss,
            });
        }
    }

    /// Whether the match is paused (the simulations stand still; ticks still flow).
    pub fn is_paused(&self) -> bool {
        self.pauses.is_paused()
    }

    /// Ends the match now because the relay is shutting down (its drain ran out): the outcome
    /// is `ServerRestart`, which rates and penalizes nobody. Fails once the match has an outcome.
    pub fn end_for_restart(&mut self) -> Result<(), CoreError> {
        if self.outcome.is_some() {
            return Err(CoreError::MatchOver);
        }
        self.outcome = Some(MatchOutcome::ServerRestart);
        self.events
            .push(RelayEvent::MatchEnded(MatchOutcome::ServerRestart));
        Ok(())
    }

    /// Puts `player` under a chat restriction for the rest of the match: its chat orders stay
    /// in the certified stream but reach no recipient (each raises `ChatWithheld`). `false`
    /// for a slot that is not in the match.
    pub fn restrict_chat(&mut self, player: PlayerSlot) -> bool {
        self.roster.restrict_chat(player)
    }

    /// Applies match-start calibration: per-player one-way latency and the initial QoS envelope.
    pub fn apply_calibration(&mut self, calibrations: &[PlayerCalibration]) {
        for cal in calibrations {
            self.one_way_us.insert(cal.player, cal.one_way_us());
        }
        self.qos.apply_calibration(calibrations);
    }

    pub(super) fn summary(&self) -> FilterSummary {
        let mut summary = FilterSummary::default();
        for filter in &self.filters {
            filter.summarize(&mut summary);
        }
        summary
    }
}

impl std::fmt::Debug for RelayCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayCore")
            .field("game_id", &self.setup.game_id)
            .field("open_tick", &self.open_tick)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}
