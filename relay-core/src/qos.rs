//! Quality of service: the match-global deadline and run-ahead, derived from match-start
//! calibration and a profile, then adapted every window from the late-rate EWMA.

use std::collections::BTreeMap;

use crate::frames::TimingFeedback;
use crate::ids::{PlayerSlot, SimTick};

/// Ticks per QoS window (timing feedback and adaptation run once per window).
pub const WINDOW_TICKS: u64 = 30;
/// Deadline raise per adaptation step (µs) and run-ahead raise (ticks).
const RAISE_DEADLINE_US: u64 = 10_000;
/// Deadline decrease per adaptation step (µs).
const LOWER_DEADLINE_US: u64 = 5_000;

/// Bounds and thresholds of one QoS profile (reference §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QosProfile {
    /// Smallest deadline (µs).
    pub deadline_min_us: u64,
    /// Largest deadline (µs).
    pub deadline_max_us: u64,
    /// Smallest run-ahead (ticks).
    pub run_ahead_min: u32,
    /// Largest run-ahead (ticks).
    pub run_ahead_max: u32,
    /// One-way latencies are clipped to the median plus this (µs).
    pub one_way_clip_us: u64,
    /// Jitters are clipped to the median plus this (µs).
    pub jitter_clip_us: u64,
    /// Added to the computed deadline (µs).
    pub safety_margin_us: u64,
    /// EWMA weight of the newest window, Q15 (32768 = 1.0).
    pub ewma_alpha_q15: u32,
    /// Late rate (basis points) at or above which a window counts toward raising.
    pub raise_late_rate_bps: u32,
    /// Late rate at or below which a window counts toward lowering.
    pub lower_late_rate_bps: u32,
    /// Consecutive high windows needed to raise.
    pub raise_windows: u32,
    /// Consecutive low windows needed to lower.
    pub lower_windows: u32,
    /// Windows after a change during which nothing changes.
    pub cooldown_windows: u32,
    /// Most of a window's late events one player can account for (basis points).
    pub per_player_influence_cap_bps: u32,
}

impl QosProfile {
    /// Ranked: tight envelope, slow to raise.
    pub const RANKED: Self = Self {
        deadline_min_us: 90_000,
        deadline_max_us: 140_000,
        run_ahead_min: 3,
        run_ahead_max: 5,
        one_way_clip_us: 25_000,
        jitter_clip_us: 12_000,
        safety_margin_us: 8_000,
        ewma_alpha_q15: 6_554,
        raise_late_rate_bps: 200,
        lower_late_rate_bps: 20,
        raise_windows: 3,
        lower_windows: 8,
        cooldown_windows: 2,
        per_player_influence_cap_bps: 4_000,
    };

    /// Casual: wider envelope, quicker to adapt.
    pub const CASUAL: Self = Self {
        deadline_min_us: 120_000,
        deadline_max_us: 220_000,
        run_ahead_min: 4,
        run_ahead_max: 7,
        one_way_clip_us: 80_000,
        jitter_clip_us: 40_000,
        safety_margin_us: 15_000,
        ewma_alpha_q15: 8_192,
        raise_late_rate_bps: 350,
        lower_late_rate_bps: 50,
        raise_windows: 2,
        lower_windows: 6,
        cooldown_windows: 1,
        per_player_influence_cap_bps: 6_000,
    };
}

/// One player's match-start calibration (from the calibration ping exchange).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlayerCalibration {
    /// The player.
    pub player: PlayerSlot,
    /// Median round-trip time (µs).
    pub median_rtt_us: u64,
    /// Round-trip jitter, P95 − P5 (µs).
    pub jitter_us: u64,
}

impl PlayerCalibration {
    /// Estimated one-way latency (µs).
    pub fn one_way_us(&self) -> u64 {
        self.median_rtt_us / 2
    }
}

/// Why the deadline changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QosReason {
    /// The late rate stayed high.
    RaiseLateRate,
    /// The late rate stayed low.
    LowerStableWindow,
}

/// A deadline/run-ahead change, for replay and telemetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QosAdjustment {
    /// Tick at which the change applies.
    pub tick: SimTick,
    /// Previous deadline (µs).
    pub old_deadline_us: u64,
    /// New deadline (µs).
    pub new_deadline_us: u64,
    /// Previous run-ahead (ticks).
    pub old_run_ahead: u32,
    /// New run-ahead (ticks).
    pub new_run_ahead: u32,
    /// The late-rate EWMA that triggered it (basis points).
    pub late_rate_bps_ewma: u32,
    /// Why.
    pub reason: QosReason,
}

#[derive(Clone, Copy, Debug, Default)]
struct WindowStats {
    on_time: u32,
    late: u32,
    early_sum_us: u64,
    late_sum_us: u64,
}

/// The adaptive QoS state of a match.
#[derive(Clone, Debug)]
pub struct QosController {
    profile: QosProfile,
    tick_us: u64,
    deadline_us: u64,
    run_ahead: u32,
    ewma_bps_q15: u64,
    high_streak: u32,
    low_streak: u32,
    cooldown: u32,
    window: BTreeMap<PlayerSlot, WindowStats>,
}

impl QosController {
    /// Starts from the profile's lower bounds until calibration arrives.
    pub fn new(profile: QosProfile, tick_us: u64) -> Self {
        let mut controller = Self {
            profile,
            tick_us: tick_us.max(1),
            deadline_us: profile.deadline_min_us,
            run_ahead: 0,
            ewma_bps_q15: 0,
            high_streak: 0,
            low_streak: 0,
            cooldown: 0,
            window: BTreeMap::new(),
        };
        controller.run_ahead = controller.run_ahead_for(profile.deadline_min_us);
        controller
    }

    /// Sets the initial deadline from match-start calibration:
    /// `p90(clipped one-way) + 2·p90(clipped jitter) + margin`, clamped to the profile.
    pub fn apply_calibration(&mut self, calibrations: &[PlayerCalibration]) {
        let one_way: Vec<u64> = calibrations
            .iter()
            .map(PlayerCalibration::one_way_us)
            .collect();
        let jitter: Vec<u64> = calibrations.iter().map(|c| c.jitter_us).collect();
        let one_way = clipped_p90(&one_way, self.profile.one_way_clip_us);
        let jitter = clipped_p90(&jitter, self.profile.jitter_clip_us);
        let candidate = one_way + 2 * jitter + self.profile.safety_margin_us;
        self.deadline_us =
            candidate.clamp(self.profile.deadline_min_us, self.profile.deadline_max_us);
        self.run_ahead = self.run_ahead_for(self.deadline_us);
    }

    fn run_ahead_for(&self, deadline_us: u64) -> u32 {
        let ticks = deadline_us.div_ceil(self.tick_us);
        let ticks = u32::try_from(ticks).unwrap_or(u32::MAX);
        ticks.clamp(self.profile.run_ahead_min, self.profile.run_ahead_max)
    }

    /// The match-global deadline after a tick's window opens (µs).
    pub fn deadline_us(&self) -> u64 {
        self.deadline_us
    }

    /// The match-global run-ahead (ticks).
    pub fn run_ahead(&self) -> u32 {
        self.run_ahead
    }

    /// The late-rate EWMA (basis points).
    pub fn late_rate_bps(&self) -> u32 {
        u32::try_from(self.ewma_bps_q15 >> 15).unwrap_or(u32::MAX)
    }

    /// A batch arrived `margin_us` before its deadline.
    pub fn record_on_time(&mut self, player: PlayerSlot, margin_us: u64) {
        let stats = self.window.entry(player).or_default();
        stats.on_time += 1;
        stats.early_sum_us += margin_us;
    }

    /// A tick was finalized without this player's batch.
    pub fn record_missed(&mut self, player: PlayerSlot) {
        self.window.entry(player).or_default().late += 1;
    }

    /// A batch arrived `lateness_us` after its deadline (its tick was already counted missed).
    pub fn record_lateness(&mut self, player: PlayerSlot, lateness_us: u64) {
        self.window.entry(player).or_default().late_sum_us += lateness_us;
    }

    /// Closes a window at `tick`: per-player feedback and possibly one adjustment.
    pub fn end_window(
        &mut self,
        tick: SimTick,
        players: usize,
    ) -> (Option<QosAdjustment>, Vec<(PlayerSlot, TimingFeedback)>) {
        let window = std::mem::take(&mut self.window);
        let feedback = window
            .iter()
            .map(|(player, stats)| (*player, self.feedback(stats)))
            .collect();
        let total_late: u64 = window.values().map(|s| u64::from(s.late)).sum();
        // One player's lates count for at most the cap's share of the window's lates, so a
        // single bad connection cannot move everyone's deadline on its own.
        let capped: u64 = window
            .values()
            .map(|s| {
                let cap =
                    total_late * u64::from(self.profile.per_player_influence_cap_bps) / 10_000;
                u64::from(s.late).min(cap.max(1))
            })
            .sum();
        let expected = (players as u64).max(1) * WINDOW_TICKS;
        let raw_bps = (capped * 10_000 / expected).min(10_000);
        let alpha = u64::from(self.profile.ewma_alpha_q15);
        self.ewma_bps_q15 =
            (alpha * (raw_bps << 15) + (32_768 - alpha) * self.ewma_bps_q15) / 32_768;
        (self.adapt(tick), feedback)
    }

    fn adapt(&mut self, tick: SimTick) -> Option<QosAdjustment> {
        let rate = self.late_rate_bps();
        if rate >= self.profile.raise_late_rate_bps {
            self.high_streak += 1;
            self.low_streak = 0;
        } else if rate <= self.profile.lower_late_rate_bps {
            self.low_streak += 1;
            self.high_streak = 0;
        } else {
            self.high_streak = 0;
            self.low_streak = 0;
        }
        if self.cooldown > 0 {
            self.cooldown -= 1;
            return None;
        }
        let (deadline, run_ahead, reason) = if self.high_streak >= self.profile.raise_windows {
            (
                self.deadline_us + RAISE_DEADLINE_US,
                self.run_ahead.saturating_add(1),
                QosReason::RaiseLateRate,
            )
        } else if self.low_streak >= self.profile.lower_windows {
            (
                self.deadline_us.saturating_sub(LOWER_DEADLINE_US),
                self.run_ahead.saturating_sub(1),
                QosReason::LowerStableWindow,
            )
        } else {
            return None;
        };
        let deadline = deadline.clamp(self.profile.deadline_min_us, self.profile.deadline_max_us);
        let run_ahead = run_ahead.clamp(self.profile.run_ahead_min, self.profile.run_ahead_max);
        self.high_streak = 0;
        self.low_streak = 0;
        if deadline == self.deadline_us && run_ahead == self.run_ahead {
            return None;
        }
        let change = QosAdjustment {
            tick,
            old_deadline_us: self.deadline_us,
            new_deadline_us: deadline,
            old_run_ahead: self.run_ahead,
            new_run_ahead: run_ahead,
            late_rate_bps_ewma: rate,
            reason,
        };
        self.deadline_us = deadline;
        self.run_ahead = run_ahead;
        self.cooldown = self.profile.cooldown_windows;
        Some(change)
    }

    fn feedback(&self, stats: &WindowStats) -> TimingFeedback {
        let early = stats
            .early_sum_us
            .checked_div(u64::from(stats.on_time))
            .unwrap_or(0);
        let late = stats
            .late_sum_us
            .checked_div(u64::from(stats.late))
            .unwrap_or(0);
        let to_i32 = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
        TimingFeedback {
            early_us: to_i32(early),
            late_us: to_i32(late),
            // Submit earlier by the mean lateness; the client caps each step itself.
            recommended_offset_us: if stats.late > 0 {
                to_i32(late.max(1_000))
            } else {
                0
            },
            late_count: u16::try_from(stats.late).unwrap_or(u16::MAX),
        }
    }
}

/// P90 of values clipped to `median + clip`.
fn clipped_p90(values: &[u64], clip: u64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let limit = median.saturating_add(clip);
    let clipped: Vec<u64> = sorted.iter().map(|v| (*v).min(limit)).collect();
    let index = (clipped.len() * 9).div_ceil(10).saturating_sub(1);
    clipped[index.min(clipped.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(player: u8, rtt_ms: u64, jitter_ms: u64) -> PlayerCalibration {
        PlayerCalibration {
            player: PlayerSlot(player),
            median_rtt_us: rtt_ms * 1000,
            jitter_us: jitter_ms * 1000,
        }
    }

    #[test]
    fn calibration_sets_a_clamped_deadline_and_run_ahead() {
        let mut qos = QosController::new(QosProfile::RANKED, 66_667);
        qos.apply_calibration(&[cal(0, 60, 10), cal(1, 80, 20)]);
        // p90 one-way 40 ms + 2 × p90 jitter 20 ms + 8 ms margin = 88 ms → clamped to 90 ms.
        assert_eq!(qos.deadline_us(), 90_000);
        assert_eq!(qos.run_ahead(), 3);
        // An outlier is clipped to median + 25 ms one-way and median + 12 ms jitter.
        qos.apply_calibration(&[cal(0, 60, 10), cal(1, 60, 10), cal(2, 600, 200)]);
        assert_eq!(qos.deadline_us(), 30_000 + 25_000 + 2 * 22_000 + 8_000);
        assert_eq!(qos.run_ahead(), 3);
    }

    #[test]
    fn sustained_lateness_raises_once_then_cools_down_and_calm_lowers() {
        let mut qos = QosController::new(QosProfile::CASUAL, 66_667);
        let mut changes = Vec::new();
        for window in 0..6u64 {
            for p in 0..2 {
                for _ in 0..10 {
                    qos.record_missed(PlayerSlot(p));
                    qos.record_lateness(PlayerSlot(p), 4_000);
                }
            }
            let (change, feedback) = qos.end_window(window * 30, 2);
            assert_eq!(feedback[0].1.late_count, 10);
            changes.extend(change);
        }
        assert!(!changes.is_empty());
        assert_eq!(changes[0].reason, QosReason::RaiseLateRate);
        assert_eq!(changes[0].new_deadline_us, 130_000);
        // Hysteresis: consecutive changes are separated by at least the cooldown.
        for pair in changes.windows(2) {
            assert!(pair[1].tick - pair[0].tick >= 30 * 2);
        }
        let mut calm = Vec::new();
        for window in 6..120u64 {
            calm.extend(qos.end_window(window * 30, 2).0.map(|c| c.reason));
        }
        // The EWMA lags, so a raise may still follow the last late window; after the first
        // lowering only lowerings happen.
        let first_lower = calm
            .iter()
            .position(|r| *r == QosReason::LowerStableWindow)
            .unwrap();
        assert!(
            calm[first_lower..]
                .iter()
                .all(|r| *r == QosReason::LowerStableWindow)
        );
        assert_eq!(qos.deadline_us(), QosProfile::CASUAL.deadline_min_us);
    }
}
