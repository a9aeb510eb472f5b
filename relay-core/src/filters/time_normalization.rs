//! Time normalization: replaces each order's client hint with a relay-normalized sub-tick time.
//! Uses the sender's calibration once adopted, otherwise its measured one-way latency.

use super::{FilterCtx, InboundBatch, RelayFilter, Verdict};
use crate::time::{Envelope, normalize_sub_tick};

/// Clamps sub-tick hints into the envelope the arrival time allows.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeNormalization;

impl RelayFilter for TimeNormalization {
    fn name(&self) -> &'static str {
        "time_normalization"
    }

    fn on_inbound(&mut self, ctx: &mut FilterCtx<'_>, batch: &mut InboundBatch) -> Verdict {
        let (offset, jitter) = match ctx.calibration {
            Some(cal) => (cal.offset_us(), cal.jitter_us()),
            None => (None, 0),
        };
        // What the measured latency allows: the batch left at most one one-way trip (plus
        // jitter) before it arrived. A calibrated send time is believed only inside that bound,
        // so forging an early send timestamp gains nothing.
        let slack = 3 * u64::from(jitter);
        let earliest_send = batch
            .arrival_us
            .saturating_sub(ctx.one_way_us)
            .saturating_sub(slack);
        let send_estimate = match offset {
            Some(offset) => {
                let mapped = i128::from(batch.client_send_us) + i128::from(offset);
                u64::try_from(mapped.max(0))
                    .unwrap_or(u64::MAX)
                    .clamp(earliest_send, batch.arrival_us)
            }
            None => batch.arrival_us.saturating_sub(ctx.one_way_us),
        };
        let envelope = Envelope::for_batch(send_estimate, batch.arrival_us, jitter);
        let window_start = ctx.clock.window_start(batch.tick);
        for order in &mut batch.orders {
            order.sub_tick_us =
                normalize_sub_tick(window_start, ctx.clock.tick_us, order.sub_tick_us, envelope);
        }
        Verdict::Accept
    }
}
