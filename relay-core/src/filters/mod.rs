//! The relay's filter chain: small stages that see each batch on arrival, each finalized tick,
//! and each recipient's copy. One file per built-in filter, in the order `standard_chain` runs them.

mod anti_lag_switch;
mod budget;
mod chat_routing;
mod observer_delay;
mod replay;
mod structural;
mod time_normalization;

pub use anti_lag_switch::AntiLagSwitch;
pub use budget::{BURST_ORDERS, OrderBudget, REFILL_PER_TICK};
pub use chat_routing::{ChatRouting, may_read, may_read_by_team};
pub use observer_delay::{ObserverDelay, observer_reads};
pub use replay::{ReplayRecorder, ReplaySink, ReplaySinkError};
pub use structural::{MAX_ORDERS_PER_TICK, StructuralValidation};
pub use time_normalization::TimeNormalization;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::core::{RelayEvent, Roster};
use crate::ids::{ObserverId, PlayerSlot, SimTick};
use crate::order::{TickOrders, TimestampedOrder};
use crate::time::{ClockCalibration, TickClock};

/// What a filter may read about the match.
pub struct FilterCtx<'a> {
    /// The tick being collected (inbound) or finalized (tick and outbound phases).
    pub tick: SimTick,
    /// The tick grid.
    pub clock: TickClock,
    /// Players, teams and observers with their status.
    pub roster: &'a Roster,
    /// Clock calibration of the batch's sender (inbound phase only).
    pub calibration: Option<&'a ClockCalibration>,
    /// One-way latency estimate of the batch's sender from match-start calibration (µs).
    pub one_way_us: u64,
    /// Events the filters raise; the core applies and reports them.
    pub events: &'a mut Vec<RelayEvent>,
    /// The finalized tick's canonical list, shared (outbound phase only).
    pub canonical: Option<&'a Arc<TickOrders>>,
}

/// A batch on its way into the tick it was assigned to.
#[derive(Clone, Debug)]
pub struct InboundBatch {
    /// The sender.
    pub player: PlayerSlot,
    /// The tick the batch was assigned to.
    pub tick: SimTick,
    /// Relay time of arrival (µs).
    pub arrival_us: u64,
    /// The sender's clock at sending (µs).
    pub client_send_us: u64,
    /// The orders; `sub_tick_us` holds the client's hint until time normalization runs.
    pub orders: Vec<TimestampedOrder>,
    /// Orders of this player already queued for the same tick.
    pub already_queued: usize,
}

/// Whether a batch continues down the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Keep going.
    Accept,
    /// Drop the whole batch.
    Reject(RejectReason),
}

/// Why a filter dropped a batch or orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// An order is larger than the order size limit.
    OrderTooLarge,
    /// The player would exceed the per-tick order count.
    TooManyOrders,
    /// The player's order budget is exhausted.
    OverBudget,
}

/// Who receives a copy of the tick stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recipient {
    /// A player.
    Player(PlayerSlot),
    /// An observer.
    Observer(ObserverId),
}

/// The ticks one recipient receives after this finalize (observers may get an older tick, or none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientFeed {
    /// Who.
    pub recipient: Recipient,
    /// Their copies, oldest first. Shared with the canonical list until a filter edits one
    /// (`Arc::make_mut`), so recipients without hidden chat cost no copy.
    pub ticks: Vec<Arc<TickOrders>>,
}

/// What filters contribute to the certified result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterSummary {
    /// SHA-256 of the replay bytes, if a replay was recorded.
    pub replay_hash: Option<[u8; 32]>,
    /// The replay sink lost data.
    pub replay_incomplete: bool,
    /// Observer delay in ticks, if an observer delay filter ran.
    pub observer_delay_ticks: u32,
}

/// One stage of the relay's pipeline. Every hook has a do-nothing default.
///
/// Phases per tick: `on_inbound` for each arriving batch; then at finalize `on_tick` may rewrite
/// the canonical list, after which the core sorts and hashes it; `on_finalized` sees the hashed
/// list; `on_outbound` edits the per-recipient copies.
pub trait RelayFilter: Send {
    /// A short name for logs and metrics.
    fn name(&self) -> &'static str;

    /// A batch arrived and was assigned to a tick.
    fn on_inbound(&mut self, _ctx: &mut FilterCtx<'_>, _batch: &mut InboundBatch) -> Verdict {
        Verdict::Accept
    }

    /// The tick is being finalized; `present` holds the players with an on-time batch.
    fn on_tick(
        &mut self,
        _ctx: &mut FilterCtx<'_>,
        _orders: &mut TickOrders,
        _present: &BTreeSet<PlayerSlot>,
    ) {
    }

    /// The canonical, hashed list of the tick.
    fn on_finalized(&mut self, _ctx: &mut FilterCtx<'_>, _orders: &TickOrders) {}

    /// Per-recipient copies of the tick.
    fn on_outbound(&mut self, _ctx: &mut FilterCtx<'_>, _feeds: &mut [RecipientFeed]) {}

    /// The match is over: hand out anything held back (each feed names its recipient).
    fn release_held(&mut self, _feeds: &mut [RecipientFeed]) {}

    /// The first observer arrived mid-match: `unreleased` are the observers' view of the ticks
    /// finalized but not yet due for release (oldest first), read back from the replay, since
    /// nothing is held while nobody watches.
    fn restore_held(&mut self, _unreleased: &[Arc<TickOrders>]) {}

    /// Adds what this filter knows to the certified result.
    fn summarize(&self, _summary: &mut FilterSummary) {}
}

/// Settings of the built-in chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainConfig {
    /// Strikes after which a player is disconnected.
    pub strike_threshold: u32,
    /// Observer delay in ticks.
    pub observer_delay_ticks: u32,
}

/// The built-in chain in its canonical order: cheap checks first, then budget, time, lag,
/// replay, and the per-recipient stages last.
pub fn standard_chain(config: ChainConfig, sink: Box<dyn ReplaySink>) -> Vec<Box<dyn RelayFilter>> {
    vec![
        Box::new(StructuralValidation),
        Box::new(OrderBudget::default()),
        Box::new(TimeNormalization),
        Box::new(AntiLagSwitch::new(config.strike_threshold)),
        Box::new(ReplayRecorder::new(sink)),
        Box::new(ChatRouting),
        Box::new(ObserverDelay::new(config.observer_delay_ticks)),
    ]
}
