//! The relay's time source: Unix microseconds advanced by a monotonic clock, so a wall-clock
//! step during a match cannot move tick deadlines; and the conversion back to timer instants.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Relay time in Unix microseconds, anchored once and then monotonic.
#[derive(Debug, Clone, Copy)]
pub struct RelayClock {
    anchor: Instant,
    anchor_us: u64,
}

impl RelayClock {
    /// Anchors relay time to the wall clock now.
    pub fn new() -> Self {
        let anchor_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        Self {
            anchor: Instant::now(),
            anchor_us,
        }
    }

    /// Relay time now (Unix µs).
    pub fn now_us(&self) -> u64 {
        let elapsed = u64::try_from(self.anchor.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.anchor_us.saturating_add(elapsed)
    }

    /// Relay time now in Unix seconds (for ticket expiry).
    pub fn now_secs(&self) -> i64 {
        i64::try_from(self.now_us() / 1_000_000).unwrap_or(i64::MAX)
    }

    /// The timer instant of relay time `us`.
    pub fn instant_at(&self, us: u64) -> tokio::time::Instant {
        let offset = Duration::from_micros(us.saturating_sub(self.anchor_us));
        tokio::time::Instant::from_std(self.anchor + offset)
    }
}

impl Default for RelayClock {
    fn default() -> Self {
        Self::new()
    }
}
