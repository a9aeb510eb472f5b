//! `RelayCore`: one match's relay state. Batches in, canonical ticks out; every change of state
//! goes through its methods, and time, randomness and keys arrive as arguments.

mod certify;
mod events;
mod roster;
mod setup;

pub use certify::CertifyError;
pub use events::RelayEvent;
pub use roster::{PlayerStatus, Roster, RosterObserver, RosterPlayer, StatusError};
pub use setup::{MatchSetup, ObserverSeat, PlayerSeat, RelayConfig, SetupError};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rand_core::RngCore;
use scr::keys::PlayerKey;

use crate::cmr::MatchOutcome;
use crate::connection::{Connection, InGame};
use crate::desync::{DesyncDetector, DesyncVerdict};
use crate::filters::{
    ChainConfig, FilterCtx, FilterSummary, InboundBatch, Recipient, RecipientFeed, RejectReason,
    RelayFilter, ReplaySink, Verdict, standard_chain,
};
use crate::frames::{KickReason, OrderBatch, Seat, SimOutcome};
use crate::ids::{PlayerSlot, SimTick};
use crate::liveness::{EchoVerdict, Liveness};
use crate::match_end::{GameEndedReport, MatchEndTracker, VoteEffect};
use crate::order::{PlayerOrder, TickOrders, TimestampedOrder, VoteKind};
use crate::order_hash::OrderStreamHasher;
use crate::qos::{PlayerCalibration, QosController, QosProfile, WINDOW_TICKS};
use crate::time::{ClockCalibration, SampleVerdict, TickClock};

/// What happened to a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Queued for `tick`; `dropped` orders were cut by the budget.
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
    events: Vec<RelayEvent>,
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
            events: Vec::new(),
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

    /// Marks the result degraded (the embedding lost the whole match's connectivity).
    pub fn mark_degraded(&mut self) {
        self.degraded = true;
    }

    /// Applies match-start calibration: per-player one-way latency and the initial QoS envelope.
    pub fn apply_calibration(&mut self, calibrations: &[PlayerCalibration]) {
        for cal in calibrations {
            self.one_way_us.insert(cal.player, cal.one_way_us());
        }
        self.qos.apply_calibration(calibrations);
    }

    fn player_of(from: &Connection<InGame>) -> Result<PlayerSlot, CoreError> {
        match from.seat() {
            Seat::Player { slot, .. } => Ok(slot),
            Seat::Observer(_) => Err(CoreError::NotAPlayer),
        }
    }

    fn connected_player(&self, from: &Connection<InGame>) -> Result<PlayerSlot, CoreError> {
        if self.outcome.is_some() {
            return Err(CoreError::MatchOver);
        }
        let slot = Self::player_of(from)?;
        match self.roster.get(slot) {
            Some(p) if p.status.is_connected() => Ok(slot),
            _ => Err(CoreError::NotConnected(slot)),
        }
    }

    /// Takes a player's batch that arrived at relay time `arrival_us`.
    ///
    /// The arrival time decides: a batch is queued for its tick if it arrived before that tick's
    /// deadline, and is late otherwise. Late batches are dropped; the tick gets `Idle`.
    pub fn receive_batch(
        &mut self,
        from: &Connection<InGame>,
        batch: OrderBatch,
        arrival_us: u64,
    ) -> Result<Receipt, CoreError> {
        let player = self.connected_player(from)?;
        if batch.tick > self.open_tick.saturating_add(self.config.max_future_ticks) {
            return Err(CoreError::TooFarAhead { tick: batch.tick });
        }
        let deadline_us = self.qos.deadline_us();
        let window = self.clock.window_of_arrival(arrival_us, deadline_us);
        if batch.tick < self.open_tick || window > batch.tick {
            let lateness_us =
                arrival_us.saturating_sub(self.clock.deadline(batch.tick, deadline_us));
            self.qos.record_lateness(player, lateness_us);
            self.events.push(RelayEvent::LateBatch {
                player,
                tick: batch.tick,
                lateness_us,
            });
            return Ok(Receipt::Late { tick: batch.tick });
        }
        let one_way_us = self.one_way_us.get(&player).copied().unwrap_or(0);
        let sample =
            i128::from(arrival_us) - i128::from(batch.client_send_us) - i128::from(one_way_us);
        let sample = i64::try_from(sample).unwrap_or(if sample < 0 { i64::MIN } else { i64::MAX });
        let calibration = self.calibrations.entry(player).or_default();
        match calibration.add_sample(sample) {
            SampleVerdict::Accepted => {}
            SampleVerdict::RejectedSkew => {
                self.events.push(RelayEvent::ClockSkewRejected { player })
            }
            SampleVerdict::Reset => {
                self.events.push(RelayEvent::ClockSkewRejected { player });
                self.events.push(RelayEvent::CalibrationReset { player });
            }
        }
        let bucket = self.pending.entry(batch.tick).or_default();
        let mut inbound = InboundBatch {
            player,
            tick: batch.tick,
            arrival_us,
            client_send_us: batch.client_send_us,
            orders: batch
                .orders
                .into_iter()
                .map(|o| TimestampedOrder {
                    player,
                    sub_tick_us: o.sub_tick_hint_us,
                    order: o.order,
                })
                .collect(),
            already_queued: bucket.counts.get(&player).copied().unwrap_or(0),
        };
        let mut ctx = FilterCtx {
            tick: self.open_tick,
            clock: self.clock,
            roster: &self.roster,
            calibration: self.calibrations.get(&player),
            one_way_us,
            events: &mut self.events,
        };
        for filter in &mut self.filters {
            if let Verdict::Reject(reason) = filter.on_inbound(&mut ctx, &mut inbound) {
                return Ok(Receipt::Rejected(reason));
            }
        }
        let deadline = self.clock.deadline(batch.tick, deadline_us);
        self.qos
            .record_on_time(player, deadline.saturating_sub(arrival_us));
        let bucket = self.pending.entry(batch.tick).or_default();
        bucket.present.insert(player);
        *bucket.counts.entry(player).or_insert(0) += inbound.orders.len();
        bucket.orders.append(&mut inbound.orders);
        Ok(Receipt::Accepted { tick: batch.tick })
    }

    /// Closes the open tick: sorts, runs the filter chain, hashes, routes per recipient,
    /// then applies timeouts, desync checks, match-end rules and QoS at relay time `now_us`.
    ///
    /// The relay never waits: the caller calls this at [`Self::next_deadline_us`] whether or not
    /// every player's batch arrived.
    pub fn finalize_tick(&mut self, now_us: u64) -> Result<FinalizedTick, CoreError> {
        if self.outcome.is_some() {
            return Err(CoreError::MatchOver);
        }
        let tick = self.open_tick;
        let bucket = self.pending.remove(&tick).unwrap_or_default();
        let mut canonical = TickOrders {
            tick,
            orders: bucket.orders,
        };
        let mut ctx = FilterCtx {
            tick,
            clock: self.clock,
            roster: &self.roster,
            calibration: None,
            one_way_us: 0,
            events: &mut self.events,
        };
        for filter in &mut self.filters {
            filter.on_tick(&mut ctx, &mut canonical, &bucket.present);
        }
        // Stable sort: a player's own orders with equal times keep their submission order;
        // across players the slot breaks ties, so arrival interleaving never matters.
        canonical.orders.sort_by_key(TimestampedOrder::sort_key);
        self.hasher.update(&canonical);
        for filter in &mut self.filters {
            filter.on_finalized(&mut ctx, &canonical);
        }
        let canonical = Arc::new(canonical);
        let mut feeds: Vec<RecipientFeed> = self
            .roster
            .players()
            .filter(|p| p.status.in_match())
            .map(|p| Recipient::Player(p.slot))
            .chain(self.roster.observers().map(|o| Recipient::Observer(o.id)))
            .map(|recipient| RecipientFeed {
                recipient,
                ticks: vec![Arc::clone(&canonical)],
            })
            .collect();
        for filter in &mut self.filters {
            filter.on_outbound(&mut ctx, &mut feeds);
        }
        for player in self.roster.players() {
            if player.status.is_connected() && !bucket.present.contains(&player.slot) {
                self.qos.record_missed(player.slot);
            }
        }
        self.apply_votes(&canonical);
        self.apply_filter_events(now_us);
        self.apply_timeouts(tick, now_us);
        self.apply_desync(tick);
        if self.outcome.is_none()
            && let Some(consensus) = self.end.consensus(&self.roster, now_us)
        {
            self.final_state_hash = consensus.final_state_hash;
            self.decide(consensus.outcome);
        }
        if (tick + 1) % WINDOW_TICKS == 0 {
            let players = self
                .roster
                .players()
                .filter(|p| p.status.is_connected())
                .count();
            let (change, feedback) = self.qos.end_window(tick, players);
            self.events.extend(change.map(RelayEvent::QosAdjusted));
            self.events.extend(
                feedback
                    .into_iter()
                    .map(|(player, feedback)| RelayEvent::TimingFeedback { player, feedback }),
            );
        }
        self.open_tick += 1;
        Ok(FinalizedTick {
            canonical,
            feeds,
            events: std::mem::take(&mut self.events),
        })
    }

    fn decide(&mut self, outcome: MatchOutcome) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
            self.events.push(RelayEvent::MatchEnded(outcome));
        }
    }

    fn apply_votes(&mut self, canonical: &TickOrders) {
        let elapsed_us = self.clock.elapsed_at(canonical.tick);
        for order in &canonical.orders {
            let PlayerOrder::Vote(kind) = order.order else {
                continue;
            };
            let effect = match kind {
                VoteKind::Surrender => self.end.surrender(order.player, &self.roster),
                VoteKind::Remake => self.end.remake(order.player, elapsed_us, &self.roster),
            };
            match effect {
                VoteEffect::Counted => {}
                VoteEffect::RemakeWindowClosed => {
                    self.events.push(RelayEvent::RemakeVoteIgnored {
                        player: order.player,
                    });
                }
                VoteEffect::Decided(outcome) => self.decide(outcome),
            }
        }
    }

    fn apply_filter_events(&mut self, now_us: u64) {
        let kicks: Vec<PlayerSlot> = self
            .events
            .iter()
            .filter_map(|e| match e {
                RelayEvent::Kicked {
                    player,
                    reason: KickReason::LagStrikes,
                } => Some(*player),
                _ => None,
            })
            .collect();
        for player in kicks {
            // A kicked player may still reconnect within the timeout, like any disconnect.
            if self.roster.disconnect(player, now_us).is_ok() {
                self.liveness.remove(&player);
            }
        }
    }

    fn apply_timeouts(&mut self, tick: SimTick, now_us: u64) {
        let timeout = self.config.reconnect_timeout_us;
        let expired: Vec<PlayerSlot> = self
            .roster
            .players()
            .filter(|p| match p.status {
                PlayerStatus::Disconnected { since_us }
                | PlayerStatus::Unresponsive { since_us } => {
                    now_us.saturating_sub(since_us) >= timeout
                }
                _ => false,
            })
            .map(|p| p.slot)
            .collect();
        for player in expired {
            if self.roster.abandon(player, tick).is_err() {
                continue;
            }
            self.events
                .push(RelayEvent::PlayerAbandoned { player, tick });
            if self.roster.teams_in_match().len() <= 1 {
                self.decide(MatchOutcome::Abandoned { leaver: player });
            } else if let VoteEffect::Decided(outcome) = self.end.decided_by_surrender(&self.roster)
            {
                self.decide(outcome);
            }
        }
    }

    fn apply_desync(&mut self, tick: SimTick) {
        let expected = self.roster.in_match_slots();
        for verdict in self.desync.evaluate(tick, &expected) {
            match verdict {
                DesyncVerdict::InSync { .. } => {}
                DesyncVerdict::Suspect { tick, .. } => {
                    self.events.push(RelayEvent::DesyncDetected { tick });
                }
                DesyncVerdict::Drop { tick: at, player } => {
                    self.events.push(RelayEvent::DesyncDetected { tick: at });
                    if self.roster.drop_for_desync(player, tick).is_ok() {
                        self.events.push(RelayEvent::PlayerDropped { player, tick });
                        self.events.push(RelayEvent::Kicked {
                            player,
                            reason: KickReason::Desync,
                        });
                        if self.roster.teams_in_match().len() <= 1 {
                            let first = self.desync.first_divergence().unwrap_or(at);
                            self.decide(MatchOutcome::DesyncTerminated {
                                first_divergence_tick: first,
                            });
                        }
                    }
                }
                DesyncVerdict::Terminate {
                    first_divergence_tick,
                } => {
                    self.events.push(RelayEvent::DesyncDetected {
                        tick: first_divergence_tick,
                    });
                    self.decide(MatchOutcome::DesyncTerminated {
                        first_divergence_tick,
                    });
                }
            }
        }
    }

    /// A player's truncated sync hash for `tick`.
    pub fn receive_sync_hash(
        &mut self,
        from: &Connection<InGame>,
        tick: SimTick,
        hash: u64,
    ) -> Result<(), CoreError> {
        let player = self.connected_player(from)?;
        self.desync.record(player, tick, hash);
        Ok(())
    }

    /// A player's game-ended report, received at relay time `now_us`.
    pub fn record_game_ended_report(
        &mut self,
        from: &Connection<InGame>,
        tick: SimTick,
        outcome: SimOutcome,
        state_hash: [u8; 32],
        now_us: u64,
    ) -> Result<(), CoreError> {
        let player = self.connected_player(from)?;
        let report = GameEndedReport {
            tick,
            outcome,
            state_hash,
        };
        self.end.report(player, report, now_us);
        Ok(())
    }

    /// The liveness token for the next frame to `player`.
    pub fn next_liveness_token(
        &mut self,
        player: PlayerSlot,
        now_us: u64,
        rng: &mut dyn RngCore,
    ) -> Result<u32, CoreError> {
        match self.roster.get(player) {
            Some(p) if p.status.is_connected() => {}
            _ => return Err(CoreError::NotConnected(player)),
        }
        let (token, became_unresponsive) = self
            .liveness
            .entry(player)
            .or_default()
            .next_token(rng, now_us);
        if became_unresponsive {
            self.roster.mark_unresponsive(player, now_us)?;
            self.events.push(RelayEvent::PlayerUnresponsive { player });
        }
        Ok(token)
    }

    /// A player echoed a liveness token.
    pub fn receive_liveness_echo(
        &mut self,
        from: &Connection<InGame>,
        token: u32,
    ) -> Result<EchoVerdict, CoreError> {
        let player = self.connected_player(from)?;
        let verdict = self.liveness.entry(player).or_default().echo(token);
        if verdict == (EchoVerdict::Answered { recovered: true }) {
            self.roster.mark_responsive(player)?;
        }
        Ok(verdict)
    }

    /// The transport lost a player's connection at `now_us`.
    pub fn player_disconnected(
        &mut self,
        player: PlayerSlot,
        now_us: u64,
    ) -> Result<(), CoreError> {
        self.roster.disconnect(player, now_us)?;
        self.liveness.remove(&player);
        Ok(())
    }

    /// A player came back on a new, authenticated connection.
    pub fn player_reconnected(&mut self, from: &Connection<InGame>) -> Result<(), CoreError> {
        let player = Self::player_of(from)?;
        self.roster.reconnect(player)?;
        Ok(())
    }

    fn summary(&self) -> FilterSummary {
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
