//! Match quality: fairness, draw estimate and information content in 0–1000, plus the
//! conversions from probabilities that every provider shares.

use serde::{Deserialize, Serialize};

/// How good a proposed match is, each value in 0–1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MatchQuality {
    /// 1000 when both sides are equally likely to win, falling to 0 as one side becomes certain.
    pub fairness: i32,
    /// Estimated chance that the teams perform within a draw margin of each other.
    pub estimated_draw_probability: i32,
    /// How much the result would tell about the players' skill.
    pub information_content: i32,
}

/// Converts a probability-like value to permille, clamped to 0–1000. NaN gives 0.
pub(crate) fn permille(x: f64) -> i32 {
    if x.is_nan() {
        return 0;
    }
    (x.clamp(0.0, 1.0) * 1000.0).round() as i32
}

/// Fairness from the expected score of one side: 1000 · (1 − |2E − 1|).
pub(crate) fn fairness(expected: f64) -> i32 {
    permille(1.0 - (2.0 * expected - 1.0).abs())
}

/// TrueSkill-style draw estimate for two sides with rating difference `difference`, summed
/// variance `variance` and per-side performance spread `beta` (all in the same units):
/// sqrt(2β² / (2β² + var)) · exp(−d² / (2(2β² + var))).
pub(crate) fn draw_probability(difference: f64, variance: f64, beta: f64) -> f64 {
    let two_beta2 = 2.0 * beta * beta;
    let total = two_beta2 + variance;
    (two_beta2 / total).sqrt() * libm::exp(-difference * difference / (2.0 * total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fairness_and_draw_helpers() {
        assert_eq!(fairness(0.5), 1000);
        assert_eq!(fairness(0.75), 500);
        assert_eq!(fairness(0.25), 500);
        assert_eq!(fairness(1.0), 0);
        assert_eq!(permille(f64::NAN), 0);
        assert!((draw_probability(0.0, 0.0, 100.0) - 1.0).abs() < 1e-12);
        assert!(draw_probability(300.0, 0.0, 100.0) < draw_probability(100.0, 0.0, 100.0));
        assert!(draw_probability(0.0, 50_000.0, 100.0) < 1.0);
    }
}
