//! The relay's own conditions: a time authority that finalizes ticks late for a sustained
//! stretch (its host stalled or overloaded) cannot vouch for a fair match, so the certified
//! result is marked degraded and the ranking authority weighs it as its policy says.

/// Watches how late each tick is finalized.
#[derive(Clone, Debug)]
pub struct DegradationMonitor {
    threshold_us: u64,
    sustain_ticks: u32,
    late_run: u32,
    degraded: bool,
}

impl DegradationMonitor {
    /// Degraded once `sustain_ticks` ticks in a row are finalized more than `threshold_us`
    /// after their deadline; a `threshold_us` or `sustain_ticks` of 0 never degrades.
    pub fn new(threshold_us: u64, sustain_ticks: u32) -> Self {
        Self {
            threshold_us,
            sustain_ticks,
            late_run: 0,
            degraded: false,
        }
    }

    /// Records that a tick was finalized `lateness_us` after its deadline; `true` exactly once,
    /// when the match becomes degraded.
    pub fn observe(&mut self, lateness_us: u64) -> bool {
        if self.degraded || self.threshold_us == 0 || self.sustain_ticks == 0 {
            return false;
        }
        if lateness_us > self.threshold_us {
            self.late_run += 1;
        } else {
            self.late_run = 0;
        }
        self.degraded = self.late_run >= self.sustain_ticks;
        self.degraded
    }

    /// Whether the match is degraded.
    pub fn is_degraded(&self) -> bool {
        self.degraded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sustained_stall_degrades_once_and_a_blip_never() {
        let mut monitor = DegradationMonitor::new(250_000, 3);
        // Two late ticks, then an on-time one: a blip.
        assert!(!monitor.observe(400_000));
        assert!(!monitor.observe(300_000));
        assert!(!monitor.observe(1_000));
        assert!(!monitor.observe(260_000));
        assert!(!monitor.observe(900_000));
        assert!(monitor.observe(251_000), "the third in a row");
        assert!(!monitor.observe(900_000), "reported once");
        assert!(monitor.is_degraded());
    }

    #[test]
    fn exactly_at_the_threshold_is_on_time_and_zero_switches_it_off() {
        let mut monitor = DegradationMonitor::new(250_000, 1);
        assert!(!monitor.observe(250_000));
        let mut off = DegradationMonitor::new(0, 1);
        assert!(!off.observe(u64::MAX));
        let mut off = DegradationMonitor::new(250_000, 0);
        assert!(!off.observe(u64::MAX));
    }
}
