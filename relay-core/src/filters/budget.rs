//! Order budget: a token bucket per player, refilled every tick.
//! Orders beyond the budget are dropped (not the whole batch) and reported.

use std::collections::BTreeMap;

use super::{FilterCtx, InboundBatch, RejectReason, RelayFilter, Verdict};
use crate::core::RelayEvent;
use crate::ids::{PlayerSlot, SimTick};

/// Tokens added per tick.
pub const REFILL_PER_TICK: u32 = 16;
/// Bucket size: the most orders a player can send in a burst.
pub const BURST_ORDERS: u32 = 128;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: u32,
    refilled_at: SimTick,
}

/// Token bucket per player: refill 16 per tick, burst 128.
#[derive(Clone, Debug, Default)]
pub struct OrderBudget {
    buckets: BTreeMap<PlayerSlot, Bucket>,
}

impl RelayFilter for OrderBudget {
    fn name(&self) -> &'static str {
        "order_budget"
    }

    fn on_inbound(&mut self, ctx: &mut FilterCtx<'_>, batch: &mut InboundBatch) -> Verdict {
        // Refill by the tick being collected, not the batch's tick, so buffering future
        // batches cannot borrow tokens from ticks that have not happened.
        let now = ctx.tick;
        let bucket = self.buckets.entry(batch.player).or_insert(Bucket {
            tokens: BURST_ORDERS,
            refilled_at: now,
        });
        let elapsed = now.saturating_sub(bucket.refilled_at);
        let refill = elapsed.saturating_mul(u64::from(REFILL_PER_TICK));
        bucket.tokens = u64::from(bucket.tokens)
            .saturating_add(refill)
            .min(u64::from(BURST_ORDERS)) as u32;
        bucket.refilled_at = bucket.refilled_at.max(now);
        let allowed = (bucket.tokens as usize).min(batch.orders.len());
        bucket.tokens -= allowed as u32;
        let dropped = batch.orders.len() - allowed;
        if dropped > 0 {
            batch.orders.truncate(allowed);
            ctx.events.push(RelayEvent::OrdersDropped {
                player: batch.player,
                count: dropped,
                reason: RejectReason::OverBudget,
            });
        }
        Verdict::Accept
    }
}
