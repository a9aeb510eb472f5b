//! Reviewer calibration: accuracy on cases with a known outcome as an exponentially weighted
//! moving average, the review weight derived from it, and the threshold below which a reviewer
//! stops getting cases.

/// The calibration rules (from `[moderation]` config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationRules {
    /// Weight of the newest calibration result in the moving average, (0, 1].
    pub alpha: f64,
    /// Accuracy a reviewer starts with.
    pub initial_accuracy: f64,
    /// Lowest review weight.
    pub weight_floor: f64,
    /// Highest review weight.
    pub weight_cap: f64,
    /// Accuracy below which a reviewer gets no cases…
    pub min_accuracy: f64,
    /// …once they have seen at least this many calibration cases.
    pub min_calibration_cases: u32,
}

impl CalibrationRules {
    /// The accuracy after one more calibration case judged `correct`.
    pub fn next_accuracy(&self, previous: f64, correct: bool) -> f64 {
        let observed = if correct { 1.0 } else { 0.0 };
        ((1.0 - self.alpha) * previous + self.alpha * observed).clamp(0.0, 1.0)
    }

    /// Review weight for an accuracy: twice the accuracy (a new reviewer at 0.5 weighs 1),
    /// clamped between the floor and the cap.
    pub fn weight(&self, accuracy: f64) -> f64 {
        (2.0 * accuracy).clamp(self.weight_floor, self.weight_cap)
    }

    /// Whether a reviewer with this record may still get cases.
    pub fn may_review(&self, accuracy: f64, calibration_cases_seen: u32) -> bool {
        calibration_cases_seen < self.min_calibration_cases || accuracy >= self.min_accuracy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULES: CalibrationRules = CalibrationRules {
        alpha: 0.2,
        initial_accuracy: 0.5,
        weight_floor: 0.1,
        weight_cap: 1.5,
        min_accuracy: 0.3,
        min_calibration_cases: 3,
    };

    #[test]
    fn misjudging_lowers_weight_then_stops_reviews() {
        let mut accuracy = RULES.initial_accuracy;
        assert_eq!(RULES.weight(accuracy), 1.0);
        let mut weights = Vec::new();
        for seen in 1..=3 {
            accuracy = RULES.next_accuracy(accuracy, false);
            weights.push(RULES.weight(accuracy));
            assert_eq!(RULES.may_review(accuracy, seen), seen < 3, "after {seen}");
        }
        assert!(weights.windows(2).all(|w| w[1] < w[0]), "{weights:?}");
    }

    proptest! {
        #[test]
        fn weight_stays_between_floor_and_cap(
            start in 0.0f64..=1.0,
            results in proptest::collection::vec(any::<bool>(), 0..50),
        ) {
            let mut accuracy = start;
            for correct in results {
                let next = RULES.next_accuracy(accuracy, correct);
                prop_assert!((0.0..=1.0).contains(&next));
                if correct { prop_assert!(next >= accuracy); } else { prop_assert!(next <= accuracy); }
                accuracy = next;
                let weight = RULES.weight(accuracy);
                prop_assert!((RULES.weight_floor..=RULES.weight_cap).contains(&weight));
            }
        }
    }
}
