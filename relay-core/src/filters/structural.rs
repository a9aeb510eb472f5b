//! Structural validation: the cheapest check, first in the chain.
//! Oversized orders or too many orders per tick drop the whole batch.

use super::{FilterCtx, InboundBatch, RejectReason, RelayFilter, Verdict};
use crate::core::RelayEvent;
use crate::order::MAX_ORDER_BYTES;

/// Most orders one player may have in one tick.
pub const MAX_ORDERS_PER_TICK: usize = 256;

/// Rejects batches with an order over 4096 bytes or more than 256 orders in the tick.
#[derive(Clone, Copy, Debug, Default)]
pub struct StructuralValidation;

impl RelayFilter for StructuralValidation {
    fn name(&self) -> &'static str {
        "structural_validation"
    }

    fn on_inbound(&mut self, ctx: &mut FilterCtx<'_>, batch: &mut InboundBatch) -> Verdict {
        let reason = if batch
            .orders
            .iter()
            .any(|o| o.order.encoded_len() > MAX_ORDER_BYTES)
        {
            RejectReason::OrderTooLarge
        } else if batch.already_queued + batch.orders.len() > MAX_ORDERS_PER_TICK {
            RejectReason::TooManyOrders
        } else {
            return Verdict::Accept;
        };
        ctx.events.push(RelayEvent::OrdersDropped {
            player: batch.player,
            count: batch.orders.len(),
            reason,
        });
        Verdict::Reject(reason)
    }
}
