//! Observer delay: observers receive each tick only `delay` ticks after the players,
//! so a streamed or colluding observer cannot feed live information back.

use std::collections::VecDeque;
use std::sync::Arc;

use super::chat_routing::may_read;
use super::{FilterCtx, FilterSummary, Recipient, RecipientFeed, RelayFilter};
use crate::core::Roster;
use crate::ids::{ObserverId, SimTick};
use crate::order::{PlayerOrder, TickOrders, TimestampedOrder};

/// Holds back the observers' view of the last `delay` ticks, one copy for all observers, and
/// nothing while nobody watches. An observer who joins mid-match gets the ticks released before
/// it came from the replay (see [`crate::RelayCore::observer_released_through`]); the first
/// one also brings the unreleased ones back ([`RelayFilter::restore_held`]).
#[derive(Clone, Debug)]
pub struct ObserverDelay {
    delay: u32,
    held: VecDeque<Arc<TickOrders>>,
    /// The finalized tick's observer view when it differs from the canonical list (chat
    /// observers may not read), between `on_finalized` and `on_outbound`.
    filtered: Option<Arc<TickOrders>>,
}

impl ObserverDelay {
    /// Delays observer feeds by `delay` ticks (0 passes them through).
    pub fn new(delay: u32) -> Self {
        Self {
            delay,
            held: VecDeque::new(),
            filtered: None,
        }
    }

    /// The last tick released to observers when `tick` has just been finalized.
    pub fn released_through(delay: u32, tick: SimTick) -> Option<SimTick> {
        tick.checked_sub(u64::from(delay))
    }
}

/// Whether observers may read `order` (chat on other channels is hidden from them).
pub fn observer_reads(roster: &Roster, order: &TimestampedOrder) -> bool {
    // Every observer reads the same channels, so any observer id stands for all of them.
    match &order.order {
        PlayerOrder::Chat { channel, .. } => may_read(
            roster,
            order.player,
            *channel,
            Recipient::Observer(ObserverId(0)),
        ),
        _ => true,
    }
}

fn push_to_observers(feeds: &mut [RecipientFeed], tick: &Arc<TickOrders>) {
    for feed in feeds.iter_mut() {
        if let Recipient::Observer(_) = feed.recipient {
            feed.ticks.push(Arc::clone(tick));
        }
    }
}

impl RelayFilter for ObserverDelay {
    fn name(&self) -> &'static str {
        "observer_delay"
    }

    fn on_finalized(&mut self, ctx: &mut FilterCtx<'_>, orders: &TickOrders) {
        if ctx.roster.observers().next().is_none() {
            return;
        }
        // Most ticks hide nothing: those share the canonical list instead of copying it.
        self.filtered = (!orders.orders.iter().all(|o| observer_reads(ctx.roster, o))).then(|| {
            let mut view = orders.clone();
            view.orders.retain(|o| observer_reads(ctx.roster, o));
            Arc::new(view)
        });
    }

    fn on_outbound(&mut self, ctx: &mut FilterCtx<'_>, feeds: &mut [RecipientFeed]) {
        if ctx.roster.observers().next().is_none() {
            // Holding ticks for nobody would cost a ranked match minutes of orders in memory.
            self.held.clear();
            return;
        }
        for feed in feeds.iter_mut() {
            if let Recipient::Observer(_) = feed.recipient {
                feed.ticks.clear();
            }
        }
        if let Some(view) = self.filtered.take().or_else(|| ctx.canonical.cloned()) {
            self.held.push_back(view);
        }
        let release_up_to = Self::released_through(self.delay, ctx.tick);
        while let Some(tick) = self.held.front() {
            if release_up_to.is_none_or(|limit| tick.tick > limit) {
                break;
            }
            if let Some(tick) = self.held.pop_front() {
                push_to_observers(feeds, &tick);
            }
        }
    }

    fn release_held(&mut self, feeds: &mut [RecipientFeed]) {
        // Once the match has an outcome nothing can be fed back into it: the delay has done
        // its job, and observers get the last ticks with the result.
        for tick in self.held.drain(..) {
            push_to_observers(feeds, &tick);
        }
    }

    fn restore_held(&mut self, unreleased: &[Arc<TickOrders>]) {
        if self.held.is_empty() {
            self.held.extend(unreleased.iter().cloned());
        }
    }

    fn summarize(&self, summary: &mut FilterSummary) {
        summary.observer_delay_ticks = self.delay;
    }
}
