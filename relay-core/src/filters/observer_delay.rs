//! Observer delay: observers receive each tick only `delay` ticks after the players,
//! so a streamed or colluding observer cannot feed live information back.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{FilterCtx, FilterSummary, Recipient, RecipientFeed, RelayFilter};
use crate::ids::ObserverId;
use crate::order::TickOrders;

/// Holds back the observers' copies by a fixed number of ticks.
#[derive(Clone, Debug)]
pub struct ObserverDelay {
    delay: u32,
    held: VecDeque<(ObserverId, Arc<TickOrders>)>,
}

impl ObserverDelay {
    /// Delays observer feeds by `delay` ticks (0 passes them through).
    pub fn new(delay: u32) -> Self {
        Self {
            delay,
            held: VecDeque::new(),
        }
    }
}

impl RelayFilter for ObserverDelay {
    fn name(&self) -> &'static str {
        "observer_delay"
    }

    fn on_outbound(&mut self, ctx: &mut FilterCtx<'_>, feeds: &mut [RecipientFeed]) {
        if self.delay == 0 {
            return;
        }
        for feed in feeds.iter_mut() {
            if let Recipient::Observer(id) = feed.recipient {
                for tick in feed.ticks.drain(..) {
                    self.held.push_back((id, tick));
                }
            }
        }
        let release_up_to = ctx.tick.checked_sub(u64::from(self.delay));
        while let Some((id, tick)) = self.held.front() {
            if release_up_to.is_none_or(|limit| tick.tick > limit) {
                break;
            }
            let recipient = Recipient::Observer(*id);
            if let Some(feed) = feeds.iter_mut().find(|f| f.recipient == recipient) {
                feed.ticks.push(tick.clone());
            }
            self.held.pop_front();
        }
    }

    fn release_held(&mut self, feeds: &mut [RecipientFeed]) {
        // Once the match has an outcome nothing can be fed back into it: the delay has done
        // its job, and observers get the last ticks with the result.
        for (id, tick) in self.held.drain(..) {
            let recipient = Recipient::Observer(id);
            if let Some(feed) = feeds.iter_mut().find(|f| f.recipient == recipient) {
                feed.ticks.push(tick);
            }
        }
    }

    fn summarize(&self, summary: &mut FilterSummary) {
        summary.observer_delay_ticks = self.delay;
    }
}
