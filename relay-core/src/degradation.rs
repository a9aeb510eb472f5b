//! The relay's own conditions: a time authority that finalizes ticks late for a sustained
//! stretch (its host stalled or overloaded), or whose packets to every player are lost for a
//! sustained stretch (its own network), cannot vouch for a fair match, so the certified result
//! is marked degraded and the ranking authority weighs it as its policy says.

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

/// Watches the share of the relay's packets lost on the way to each player, window by window.
///
/// One player's bad line is that player's problem (it shows as lateness and strikes); loss to
/// *every* player at once points at the relay's side, so the relay's loss in a window is the
/// smallest loss among the players, and only with two or more players connected.
#[derive(Clone, Debug)]
pub struct LossMonitor {
    threshold_permille: u32,
    sustain_windows: u32,
    lossy_run: u32,
    degraded: bool,
}

impl LossMonitor {
    /// Degraded once `sustain_windows` windows in a row lost at least `threshold_permille` of
    /// the packets to every player; a threshold or `sustain_windows` of 0 never degrades.
    pub fn new(threshold_permille: u32, sustain_windows: u32) -> Self {
        Self {
            threshold_permille,
            sustain_windows,
            lossy_run: 0,
            degraded: false,
        }
    }

    /// Records one window's loss (permille of packets sent) to each connected player; `true`
    /// exactly once, when the match becomes degraded. A window with fewer than two players
    /// (one reconnecting, say) says nothing about the relay: it neither extends nor breaks a
    /// run.
    pub fn observe(&mut self, losses_permille: &[u32]) -> bool {
        if self.degraded || self.threshold_permille == 0 || self.sustain_windows == 0 {
            return false;
        }
        let [_, _, ..] = losses_permille else {
            return false;
        };
        let relay_side = losses_permille.iter().copied().min().unwrap_or(0);
        if relay_side >= self.threshold_permille {
            self.lossy_run += 1;
        } else {
            self.lossy_run = 0;
        }
        self.degraded = self.lossy_run >= self.sustain_windows;
        self.degraded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_to_every_player_for_long_enough_degrades_and_one_bad_line_never() {
        let mut monitor = LossMonitor::new(50, 3);
        // One player's line loses everything: not the relay.
        for _ in 0..10 {
            assert!(!monitor.observe(&[900, 0]));
        }
        // Everyone loses, but not for long enough.
        assert!(!monitor.observe(&[80, 60]));
        assert!(!monitor.observe(&[70, 55]));
        assert!(!monitor.observe(&[70, 49]));
        assert!(!monitor.observe(&[60, 50]));
        // A player alone (the other reconnecting) says nothing about the relay: the run holds.
        assert!(!monitor.observe(&[100]));
        assert!(!monitor.observe(&[0]));
        assert!(!monitor.observe(&[60, 50, 300]));
        assert!(monitor.observe(&[50, 51]), "the third window in a row");
        assert!(!monitor.observe(&[500, 500]), "reported once");
        let mut off = LossMonitor::new(0, 3);
        assert!(!off.observe(&[1000, 1000]));
    }

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
