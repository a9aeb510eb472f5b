//! The triage severity hint of a case: a base per category plus points per report, each report
//! weighted by how often its reporter's past reports were upheld (smoothed for few reports).
//!
//! A report's points are fixed when it is filed and added to the case's hint (capped at 100) in
//! the transaction that files it, so taking a report costs the same however many the case has.

/// A reporter's accuracy: upheld reports over judged ones with a Laplace prior (one upheld, one
/// rejected), so a new reporter counts 0.5 and one whose reports keep being rejected tends to 0.
pub fn reporter_accuracy(upheld: u32, judged: u32) -> f64 {
    let judged = judged.max(upheld);
    (f64::from(upheld) + 1.0) / (f64::from(judged) + 2.0)
}

/// The severity points one report adds to its case's hint: `points_per_report` scaled by twice
/// its reporter's accuracy (a new reporter counts fully, a reliable one up to double, a
/// discredited one almost nothing). The hint starts at the category's base and is capped at
/// 100. Triage only: it never triggers an action.
pub fn report_points(points_per_report: u8, reporter_accuracy: f64) -> u8 {
    let points = f64::from(points_per_report) * 2.0 * reporter_accuracy.clamp(0.0, 1.0);
    // Clamped to 0..=100 first, so the cast cannot truncate.
    points.clamp(0.0, 100.0).round() as u8
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
        assert_eq!(report_points(10, reporter_accuracy(0, 0)), 10);
        assert_eq!(report_points(10, 1.0), 20);
        assert!(report_points(10, reporter_accuracy(0, 20)) < 2);
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
        fn points_are_bounded_and_grow_with_accuracy(
            points in 0u8..=50,
            accuracy in 0.0f64..=1.0,
            better in 0.0f64..=1.0,
        ) {
            let given = report_points(points, accuracy);
            prop_assert!(given <= 2 * points);
            prop_assert!(report_points(points, accuracy.max(better)) >= given);
        }
    }
}
