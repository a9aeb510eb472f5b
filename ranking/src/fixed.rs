//! Fixed-point ratings as they cross the crate boundary and live in rating records: rating and
//! deviation ×1000, volatility ×1 000 000, all `i64`.

use serde::{Deserialize, Serialize};

/// Rating and deviation are stored in thousandths of a rating point.
pub const RATING_SCALE: i64 = 1000;
/// Volatility is stored in millionths.
pub const VOLATILITY_SCALE: i64 = 1_000_000;

/// Largest magnitude accepted for any fixed-point field: 2^53 keeps the conversion to `f64`
/// exact, so the same integers always give the same floats.
const MAX_EXACT: i64 = 1 << 53;

/// One player's rating in the record format. The meaning of the numbers depends on the
/// algorithm (`algorithm_id`); Elo leaves deviation and volatility at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FixedRating {
    /// Rating ×1000.
    pub rating: i64,
    /// Rating deviation (uncertainty) ×1000.
    pub deviation: i64,
    /// Volatility ×1 000 000.
    pub volatility: i64,
}

impl FixedRating {
    /// Builds a fixed-point rating from whole rating points and a volatility in millionths.
    pub const fn from_points(rating: i64, deviation: i64, volatility_millionths: i64) -> Self {
        Self {
            rating: rating * RATING_SCALE,
            deviation: deviation * RATING_SCALE,
            volatility: volatility_millionths,
        }
    }

    /// Converts floating-point values, rounding half away from zero to the nearest unit of the
    /// fixed-point scale. Returns `None` for values that are not finite or too large.
    pub fn from_f64(rating: f64, deviation: f64, volatility: f64) -> Option<Self> {
        Some(Self {
            rating: to_fixed(rating, RATING_SCALE)?,
            deviation: to_fixed(deviation, RATING_SCALE)?,
            volatility: to_fixed(volatility, VOLATILITY_SCALE)?,
        })
    }

    /// Rating in points.
    pub fn rating_f64(&self) -> f64 {
        from_fixed(self.rating, RATING_SCALE)
    }

    /// Deviation in points.
    pub fn deviation_f64(&self) -> f64 {
        from_fixed(self.deviation, RATING_SCALE)
    }

    /// Volatility as a plain number.
    pub fn volatility_f64(&self) -> f64 {
        from_fixed(self.volatility, VOLATILITY_SCALE)
    }

    /// True when every field converts to `f64` exactly (|x| < 2^53).
    pub fn is_exact(&self) -> bool {
        [self.rating, self.deviation, self.volatility]
            .iter()
            .all(|x| x.unsigned_abs() < MAX_EXACT.unsigned_abs())
    }
}

/// Converts to fixed point. `f64::round` rounds half away from zero on every platform, and the
/// multiplication by a power of ten is one correctly rounded IEEE operation, so the result is
/// reproducible.
pub(crate) fn to_fixed(value: f64, scale: i64) -> Option<i64> {
    let scaled = (value * scale as f64).round();
    if scaled.is_finite() && scaled.abs() < MAX_EXACT as f64 {
        Some(scaled as i64)
    } else {
        None
    }
}

/// Converts from fixed point; exact for |value| < 2^53 followed by one correctly rounded division.
pub(crate) fn from_fixed(value: i64, scale: i64) -> f64 {
    value as f64 / scale as f64
}

/// Integer division rounding half away from zero, for reset arithmetic that must not drift
/// towards negative infinity.
pub(crate) fn div_round(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if (numerator < 0) == (denominator < 0) {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact_for_representable_values() {
        let r = FixedRating {
            rating: 1_464_051,
            deviation: 151_517,
            volatility: 59_996,
        };
        let back = FixedRating::from_f64(r.rating_f64(), r.deviation_f64(), r.volatility_f64());
        assert_eq!(back, Some(r));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(to_fixed(2.5, 1), Some(3));
        assert_eq!(to_fixed(-2.5, 1), Some(-3));
        assert_eq!(to_fixed(1.4994, 1000), Some(1499));
    }

    #[test]
    fn rejects_non_finite_and_huge() {
        assert_eq!(to_fixed(f64::NAN, 1000), None);
        assert_eq!(to_fixed(f64::INFINITY, 1000), None);
        assert_eq!(to_fixed(1e20, 1000), None);
    }

    #[test]
    fn div_round_is_symmetric() {
        assert_eq!(div_round(1500, 1000), 2);
        assert_eq!(div_round(-1500, 1000), -2);
        assert_eq!(div_round(1499, 1000), 1);
        assert_eq!(div_round(-1499, 1000), -1);
        assert_eq!(div_round(0, 1000), 0);
    }

    #[test]
    fn exactness_bound() {
        assert!(FixedRating::from_points(1500, 350, 60_000).is_exact());
        let huge = FixedRating {
            rating: 1 << 53,
            deviation: 0,
            volatility: 0,
        };
        assert!(!huge.is_exact());
    }
}
