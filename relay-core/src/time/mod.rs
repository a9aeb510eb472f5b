//! The relay as time authority: the tick grid, per-player clock calibration and the
//! normalization of client sub-tick hints into relay time.

mod calibration;
mod normalize;

pub use calibration::{
    ADOPT_AFTER_SAMPLES, ClockCalibration, MAX_SKEW_US, RESET_AFTER_SUSPICIOUS, SampleVerdict,
};
pub use normalize::{Envelope, MAX_HOLD_US, normalize_sub_tick};

use crate::ids::SimTick;

/// The match's tick grid on the relay clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickClock {
    /// Relay time (µs) at which tick 0's window opens.
    pub start_us: u64,
    /// Length of a tick (µs).
    pub tick_us: u64,
}

impl TickClock {
    /// Relay time at which tick `tick`'s window opens.
    pub fn window_start(&self, tick: SimTick) -> u64 {
        self.start_us
            .saturating_add(tick.saturating_mul(self.tick_us))
    }

    /// Relay time by which a batch for `tick` must have arrived, given the match deadline.
    pub fn deadline(&self, tick: SimTick, deadline_us: u64) -> u64 {
        self.window_start(tick).saturating_add(deadline_us)
    }

    /// The earliest tick whose deadline is after `arrival_us`: the window the arrival falls in.
    pub fn window_of_arrival(&self, arrival_us: u64, deadline_us: u64) -> SimTick {
        let origin = self.start_us.saturating_add(deadline_us);
        if arrival_us < origin {
            0
        } else {
            (arrival_us - origin) / self.tick_us.max(1) + 1
        }
    }

    /// Relay time elapsed since tick 0 opened, at tick `tick`.
    pub fn elapsed_at(&self, tick: SimTick) -> u64 {
        tick.saturating_mul(self.tick_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_windows_close_at_each_ticks_deadline() {
        let clock = TickClock {
            start_us: 1_000,
            tick_us: 100,
        };
        // Tick 0's deadline is 1_000 + 150; tick 1's is 1_250.
        assert_eq!(clock.window_of_arrival(0, 150), 0);
        assert_eq!(clock.window_of_arrival(1_149, 150), 0);
        assert_eq!(clock.window_of_arrival(1_150, 150), 1);
        assert_eq!(clock.window_of_arrival(1_249, 150), 1);
        assert_eq!(clock.window_of_arrival(1_250, 150), 2);
        assert_eq!(clock.deadline(1, 150), 1_250);
    }
}
