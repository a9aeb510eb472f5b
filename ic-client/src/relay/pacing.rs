//! When a headless client (the bot, the load generator) sends: the match's tick grid from
//! `MatchStart`, how far into a tick's window, and how many orders a batch carries.

use std::time::Duration;

use relay_core::filters::MAX_ORDERS_PER_TICK;
use relay_core::ids::SimTick;

use super::session::unix_now_us;

/// How far into a tick's window a client sends that tick's batch (µs).
pub(super) const SEND_OFFSET_US: u64 = 5_000;
/// Most orders in one batch: one batch per tick, so the relay's per-tick limit.
const MAX_BATCH: u64 = MAX_ORDERS_PER_TICK as u64;

/// The match's tick grid from `MatchStart`, and the next tick to send.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grid {
    /// Relay time of tick 0 (Unix µs).
    pub(super) start_us: u64,
    /// Tick length (µs, at least 1).
    pub(super) tick_us: u64,
    /// The next tick to send a batch for.
    pub(super) next_tick: SimTick,
    /// Orders owed, in millionths of an order.
    credit: u64,
}

impl Grid {
    /// The grid a `MatchStart` announces.
    pub(super) fn new(start_us: u64, tick_interval_us: u32, open_tick: SimTick) -> Self {
        Self {
            start_us,
            tick_us: u64::from(tick_interval_us).max(1),
            next_tick: open_tick,
            credit: 0,
        }
    }

    /// Relay time at which `tick`'s window opens.
    pub(super) fn window_start(&self, tick: SimTick) -> u64 {
        self.start_us
            .saturating_add(tick.saturating_mul(self.tick_us))
    }

    /// When to send the next tick's batch.
    pub(super) fn send_at(&self) -> tokio::time::Instant {
        instant_of(self.window_start(self.next_tick) + SEND_OFFSET_US)
    }

    /// How many orders the next batch carries at `orders_per_second`: orders accrue per tick
    /// and a batch takes at most the per-tick limit, carrying at most one batch's worth over.
    pub(super) fn orders_due(&mut self, orders_per_second: u32) -> u64 {
        self.credit += u64::from(orders_per_second) * self.tick_us;
        let count = (self.credit / 1_000_000).min(MAX_BATCH);
        self.credit = (self.credit - count * 1_000_000).min(MAX_BATCH * 1_000_000);
        count
    }
}

/// The tokio instant at Unix time `us` (µs) on this machine's clock.
pub(super) fn instant_of(us: u64) -> tokio::time::Instant {
    let now = unix_now_us();
    let base = tokio::time::Instant::now();
    if us >= now {
        base + Duration::from_micros(us - now)
    } else {
        base.checked_sub(Duration::from_micros(now - us))
            .unwrap_or(base)
    }
}

/// Sleeps until `at`, or forever without one (a `select!` branch that is off).
pub(super) async fn sleep_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_accrue_per_tick_and_a_batch_stays_within_the_limit() {
        // 15 orders/s at 15 ticks/s: one per tick (66 667 µs carries a little over).
        let mut grid = Grid::new(0, 66_667, 0);
        let sent: u64 = (0..15).map(|_| grid.orders_due(15)).sum();
        assert_eq!(sent, 15);
        // A flood is cut to the per-tick limit, and what is left over does not pile up.
        let mut flood = Grid::new(0, 66_667, 0);
        assert_eq!(flood.orders_due(1_000_000), MAX_BATCH);
        assert_eq!(flood.orders_due(0), MAX_BATCH);
        assert_eq!(flood.orders_due(0), 0);
    }
}
