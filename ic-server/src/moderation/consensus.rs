//! Weighted consensus over a case's votes: each vote counts `review weight × confidence/100`;
//! the top decision wins when it holds at least the threshold share of the weight.

use super::Decision;

/// One vote as consensus sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedVote {
    /// The verdict.
    pub decision: Decision,
    /// The reviewer's review weight when voting (from calibration).
    pub weight: f64,
    /// Confidence 0–100.
    pub confidence: u8,
}

/// What the votes say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tally {
    /// The decision with the most weight; `None` if no vote carries weight or the top is tied.
    pub top: Option<Decision>,
    /// The top decision's share of the total weight (0 when there is none).
    pub agreement_ratio: f64,
    /// Whether the votes reach consensus on `top`.
    pub reached: bool,
}

/// Tallies `votes` against `threshold` (a share in (0.5, 1]).
///
/// Consensus needs a top decision that holds at least `threshold` of the weight and is not
/// `Escalate`; ties, zero weight and everything else escalate to a moderator. Shares are compared
/// with a tolerance of 1e-9 so that a threshold of 2/3 accepts exactly two of three equal votes.
pub fn tally(votes: &[WeightedVote], threshold: f64) -> Tally {
    let mut sums: Vec<(Decision, f64)> = Vec::new();
    for vote in votes {
        let weight = vote.weight.max(0.0) * f64::from(vote.confidence.min(100)) / 100.0;
        match sums
            .iter_mut()
            .find(|(decision, _)| *decision == vote.decision)
        {
            Some((_, sum)) => *sum += weight,
            None => sums.push((vote.decision, weight)),
        }
    }
    let total: f64 = sums.iter().map(|(_, sum)| sum).sum();
    let best = sums.iter().map(|(_, sum)| *sum).fold(0.0f64, f64::max);
    let leaders: Vec<Decision> = sums
        .iter()
        .filter(|(_, sum)| *sum == best)
        .map(|(decision, _)| *decision)
        .collect();
    if total <= 0.0 || leaders.len() != 1 {
        return Tally {
            top: None,
            agreement_ratio: if total > 0.0 { best / total } else { 0.0 },
            reached: false,
        };
    }
    let top = leaders[0];
    let agreement_ratio = best / total;
    Tally {
        top: Some(top),
        agreement_ratio,
        reached: top != Decision::Escalate && agreement_ratio + 1e-9 >= threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vote(decision: Decision, weight: f64, confidence: u8) -> WeightedVote {
        WeightedVote {
            decision,
            weight,
            confidence,
        }
    }

    const TWO_THIRDS: f64 = 2.0 / 3.0;

    #[test]
    fn unanimous_and_two_of_three_reach_split_escalates() {
        let cheat = Decision::SuspectedCheating;
        let clean = Decision::LikelyClean;
        let all = [
            vote(cheat, 1.0, 90),
            vote(cheat, 1.0, 80),
            vote(cheat, 1.0, 70),
        ];
        assert!(tally(&all, TWO_THIRDS).reached);
        let two = [
            vote(cheat, 1.0, 100),
            vote(cheat, 1.0, 100),
            vote(clean, 1.0, 100),
        ];
        let result = tally(&two, TWO_THIRDS);
        assert!(result.reached, "{result:?}");
        assert_eq!(result.top, Some(cheat));
        let split = [
            vote(cheat, 1.0, 100),
            vote(clean, 1.0, 100),
            vote(Decision::InsufficientEvidence, 1.0, 100),
        ];
        assert!(!tally(&split, TWO_THIRDS).reached);
    }

    #[test]
    fn weight_and_confidence_decide_not_head_count() {
        let cheat = Decision::SuspectedCheating;
        let clean = Decision::LikelyClean;
        // Two low-weight reviewers against one trusted, confident one.
        let votes = [
            vote(cheat, 0.2, 100),
            vote(cheat, 0.2, 100),
            vote(clean, 1.5, 100),
        ];
        let result = tally(&votes, TWO_THIRDS);
        assert_eq!(result.top, Some(clean));
        assert!(result.reached);
        // Zero confidence carries nothing.
        let votes = [vote(cheat, 1.0, 0), vote(clean, 1.0, 0)];
        assert!(!tally(&votes, TWO_THIRDS).reached);
        // An agreed escalation still goes to a moderator.
        let votes = [vote(Decision::Escalate, 1.0, 100); 3];
        assert!(!tally(&votes, TWO_THIRDS).reached);
    }

    fn any_decision() -> impl Strategy<Value = Decision> {
        (0..Decision::ALL.len()).prop_map(|i| Decision::ALL[i])
    }

    proptest! {
        #[test]
        fn reached_means_the_top_holds_the_threshold(
            votes in proptest::collection::vec((any_decision(), 0.0f64..2.0, 0u8..=100), 0..9),
        ) {
            let votes: Vec<WeightedVote> =
                votes.into_iter().map(|(d, w, c)| vote(d, w, c)).collect();
            let result = tally(&votes, TWO_THIRDS);
            prop_assert!((0.0..=1.0 + 1e-9).contains(&result.agreement_ratio));
            if result.reached {
                prop_assert!(result.agreement_ratio + 1e-9 >= TWO_THIRDS);
                prop_assert!(result.top.is_some());
                prop_assert_ne!(result.top, Some(Decision::Escalate));
            }
            // Order of votes never matters.
            let mut reversed = votes.clone();
            reversed.reverse();
            prop_assert_eq!(tally(&reversed, TWO_THIRDS).reached, result.reached);
        }

        #[test]
        fn unanimous_weighted_votes_always_reach(
            decision in any_decision(),
            votes in proptest::collection::vec((0.01f64..2.0, 1u8..=100), 1..9),
        ) {
            let votes: Vec<WeightedVote> =
                votes.into_iter().map(|(w, c)| vote(decision, w, c)).collect();
            let result = tally(&votes, TWO_THIRDS);
            prop_assert_eq!(result.reached, decision != Decision::Escalate);
        }
    }
}
