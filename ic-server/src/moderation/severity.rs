//! The triage severity hint of a case: a base per category plus points per report, each report
//! weighted by how often its reporter's past reports were upheld (smoothed for few reports).

/// A reporter's accuracy: upheld reports over judged ones with a Laplace prior (one upheld, one
/// rejected), so a new reporter counts 0.5 and one whose reports keep being rejected tends to 0.
pub fn reporter_accuracy(upheld: u32, judged: u32) -> f64 {
    let judged = judged.max(upheld);
    (f64::from(upheld) + 1.0) / (f64::from(judged) + 2.0)
}

/// The severity hint (0–100): `base` for the category plus `points_per_report` for each report,
/// scaled by twice its reporter's accuracy (a new reporter counts fully, a reliable one up to
/// double, a discredited one almost nothing). Triage only: it never triggers an action.
pub fn severity_hint(base: u8, points_per_report: u8, reporter_accuracies: &[f64]) -> u8 {
    let volume: f64 = reporter_accuracies
        .iter()
        .map(|accuracy| 2.0 * accuracy.clamp(0.0, 1.0))
        .sum();
    let hint = f64::from(base) + f64::from(points_per_report) * volume;
    // Clamped to 0..=100 first, so the cast cannot truncate.
    hint.clamp(0.0, 100.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn new_reporters_count_half_and_rejected_ones_little() {
        assert_eq!(reporter_accuracy(0, 0), 0.5);
        assert!(reporter_accuracy(0, 10) < 0.1);
        assert!(reporter_accuracy(10, 10) > 0.9);
        assert_eq!(severity_hint(30, 10, &[0.5, 0.5, 0.5]), 60);
        assert_eq!(severity_hint(30, 10, &[]), 30);
        assert!(severity_hint(30, 10, &[reporter_accuracy(0, 20)]) < 32);
    }

    proptest! {
        #[test]
        fn accuracy_is_a_probability_and_grows_with_upheld(upheld in 0u32..1000, judged in 0u32..1000) {
            let accuracy = reporter_accuracy(upheld, judged);
            prop_assert!(accuracy > 0.0 && accuracy < 1.0);
            let judged = judged.max(upheld);
            prop_assert!(reporter_accuracy(upheld + 1, judged + 1) > accuracy);
            prop_assert!(reporter_accuracy(upheld, judged + 1) < accuracy);
        }

        #[test]
        fn hint_is_bounded_and_monotone(
            base in 0u8..=100,
            points in 0u8..=50,
            accuracies in proptest::collection::vec(0.0f64..=1.0, 0..30),
            extra in 0.0f64..=1.0,
        ) {
            let hint = severity_hint(base, points, &accuracies);
            prop_assert!(hint <= 100);
            prop_assert!(hint >= base);
            let mut more = accuracies.clone();
            more.push(extra);
            prop_assert!(severity_hint(base, points, &more) >= hint);
        }
    }
}
