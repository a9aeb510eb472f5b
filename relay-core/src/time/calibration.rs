//! Per-player clock calibration: an EWMA of the offset between client and relay clocks.
//! Samples far from the estimate are rejected as skew; many in a row reset the calibration.

/// Samples needed before the offset is trusted for normalization.
pub const ADOPT_AFTER_SAMPLES: u32 = 10;
/// A sample further than this from the current offset is rejected as skew (µs).
pub const MAX_SKEW_US: i64 = 50_000;
/// Consecutive rejected samples after which the calibration starts over: a real clock jump
/// (not a cheat) would otherwise lock the player out forever.
pub const RESET_AFTER_SUSPICIOUS: u16 = 10;

/// What happened to one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleVerdict {
    /// Folded into the estimate.
    Accepted,
    /// Too far from the adopted offset; counted as suspicious and ignored.
    RejectedSkew,
    /// The last of too many rejected samples: the calibration was reset.
    Reset,
}

/// Estimate of `relay_clock - client_clock - one_way` for one player.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockCalibration {
    offset_ewma_us: i64,
    jitter_us: u32,
    sample_count: u32,
    consecutive_suspicious: u16,
    /// Every sample rejected as skew over the match (never reset; telemetry and evidence).
    pub skew_rejections: u32,
    /// How many times the calibration was reset.
    pub resets: u32,
}

impl ClockCalibration {
    /// Folds in one sample: `relay_arrival - client_send - one_way` (µs).
    pub fn add_sample(&mut self, sample_us: i64) -> SampleVerdict {
        if self.is_adopted() && (sample_us - self.offset_ewma_us).abs() > MAX_SKEW_US {
            self.skew_rejections += 1;
            self.consecutive_suspicious += 1;
            if self.consecutive_suspicious >= RESET_AFTER_SUSPICIOUS {
                *self = Self {
                    skew_rejections: self.skew_rejections,
                    resets: self.resets + 1,
                    ..Self::default()
                };
                return SampleVerdict::Reset;
            }
            return SampleVerdict::RejectedSkew;
        }
        self.consecutive_suspicious = 0;
        if self.sample_count == 0 {
            self.offset_ewma_us = sample_us;
        } else {
            // Weights 9:1 and 7:1 as in the reference algorithm; integer maths keeps it exact.
            self.offset_ewma_us = (self.offset_ewma_us * 9 + sample_us) / 10;
            let deviation = (sample_us - self.offset_ewma_us).unsigned_abs();
            let deviation = u32::try_from(deviation).unwrap_or(u32::MAX);
            self.jitter_us = ((u64::from(self.jitter_us) * 7 + u64::from(deviation)) / 8) as u32;
        }
        self.sample_count = self.sample_count.saturating_add(1);
        SampleVerdict::Accepted
    }

    /// Whether enough samples arrived for the offset to be used.
    pub fn is_adopted(&self) -> bool {
        self.sample_count >= ADOPT_AFTER_SAMPLES
    }

    /// The adopted offset, if any (µs).
    pub fn offset_us(&self) -> Option<i64> {
        self.is_adopted().then_some(self.offset_ewma_us)
    }

    /// Smoothed absolute deviation of samples (µs).
    pub fn jitter_us(&self) -> u32 {
        self.jitter_us
    }

    /// Accepted samples since the last reset.
    pub fn sample_count(&self) -> u32 {
        self.sample_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_adopted_after_enough_samples() {
        let mut cal = ClockCalibration::default();
        for _ in 0..ADOPT_AFTER_SAMPLES - 1 {
            assert_eq!(cal.add_sample(5_000), SampleVerdict::Accepted);
            assert_eq!(cal.offset_us(), None);
        }
        cal.add_sample(5_000);
        assert_eq!(cal.offset_us(), Some(5_000));
        assert_eq!(cal.jitter_us(), 0);
    }

    #[test]
    fn skewed_samples_are_rejected_counted_and_eventually_reset() {
        let mut cal = ClockCalibration::default();
        for _ in 0..ADOPT_AFTER_SAMPLES {
            cal.add_sample(1_000);
        }
        for _ in 0..RESET_AFTER_SUSPICIOUS - 1 {
            assert_eq!(cal.add_sample(200_000), SampleVerdict::RejectedSkew);
        }
        assert_eq!(cal.offset_us(), Some(1_000));
        assert_eq!(cal.add_sample(200_000), SampleVerdict::Reset);
        assert_eq!(cal.offset_us(), None);
        assert_eq!(cal.skew_rejections, u32::from(RESET_AFTER_SUSPICIOUS));
        assert_eq!(cal.resets, 1);
    }

    #[test]
    fn an_honest_sample_breaks_a_suspicious_streak() {
        let mut cal = ClockCalibration::default();
        for _ in 0..ADOPT_AFTER_SAMPLES {
            cal.add_sample(0);
        }
        for _ in 0..2 * RESET_AFTER_SUSPICIOUS {
            assert_eq!(cal.add_sample(90_000), SampleVerdict::RejectedSkew);
            assert_eq!(cal.add_sample(100), SampleVerdict::Accepted);
        }
        assert_eq!(cal.resets, 0);
    }
}
