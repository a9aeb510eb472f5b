//! How a team is seen by its opponents: one composite rating built from its players, in a
//! canonical order so that the order of players within a team never changes a result.

use serde::{Deserialize, Serialize};

use crate::fixed::FixedRating;

/// How a team's players combine into the single opponent that the other side plays against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRatingMethod {
    /// Ratings averaged with weights 1/RD, so well-known players count more than newcomers;
    /// the composite deviation is the same weighted average of deviations (n / Σ 1/RD).
    #[default]
    WeightedAverage,
    /// The strongest player stands for the team (with that player's deviation).
    MaxRating,
}

/// A rating and its deviation in rating points: one player, or a team's composite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Rating.
    pub rating: f64,
    /// Deviation.
    pub deviation: f64,
}

impl Estimate {
    /// Total order used to make team sums independent of input order.
    fn canonical_cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rating
            .total_cmp(&other.rating)
            .then(self.deviation.total_cmp(&other.deviation))
    }
}

impl From<FixedRating> for Estimate {
    fn from(r: FixedRating) -> Self {
        Self {
            rating: r.rating_f64(),
            deviation: r.deviation_f64(),
        }
    }
}

/// Sorts ratings into a canonical order. Floating-point sums depend on the order of their
/// terms, so every sum over a team runs over this order instead of the input order.
pub(crate) fn canonical(ratings: &mut [FixedRating]) {
    ratings.sort_unstable();
}

/// Builds the composite of a team. Deviations must be positive for `WeightedAverage`; callers
/// validate that first. Returns `None` for an empty team.
pub fn composite(players: &[Estimate], method: TeamRatingMethod) -> Option<Estimate> {
    let mut sorted = players.to_vec();
    sorted.sort_unstable_by(Estimate::canonical_cmp);
    match method {
        TeamRatingMethod::MaxRating => sorted
            .iter()
            .max_by(|a, b| {
                a.rating
                    .total_cmp(&b.rating)
                    .then(b.deviation.total_cmp(&a.deviation))
            })
            .copied(),
        TeamRatingMethod::WeightedAverage => {
            if sorted.is_empty() {
                return None;
            }
            let mut weight_sum = 0.0;
            let mut weighted_rating = 0.0;
            for r in &sorted {
                let w = 1.0 / r.deviation;
                weight_sum += w;
                weighted_rating += w * r.rating;
            }
            Some(Estimate {
                rating: weighted_rating / weight_sum,
                deviation: sorted.len() as f64 / weight_sum,
            })
        }
    }
}

/// Plain mean of ratings, for algorithms without deviations (Elo).
pub(crate) fn mean_rating(players: &[FixedRating]) -> Option<f64> {
    let mut sorted = players.to_vec();
    canonical(&mut sorted);
    if sorted.is_empty() {
        return None;
    }
    let sum: f64 = sorted.iter().map(FixedRating::rating_f64).sum();
    Some(sum / sorted.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composite(players: &[FixedRating], method: TeamRatingMethod) -> Option<Estimate> {
        let estimates: Vec<Estimate> = players.iter().copied().map(Estimate::from).collect();
        super::composite(&estimates, method)
    }

    #[test]
    fn weighted_average_favours_low_deviation() {
        let known = FixedRating::from_points(1800, 50, 60_000);
        let newcomer = FixedRating::from_points(1200, 350, 60_000);
        let c = composite(&[known, newcomer], TeamRatingMethod::WeightedAverage).unwrap();
        // Weights 1/50 and 1/350: (1800*7 + 1200) / 8 = 1725; deviation 2 / (8/350) = 87.5.
        assert!((c.rating - 1725.0).abs() < 1e-9);
        assert!((c.deviation - 87.5).abs() < 1e-9);
    }

    #[test]
    fn single_player_composite_is_the_player() {
        let p = FixedRating::from_points(1640, 120, 60_000);
        let c = composite(&[p], TeamRatingMethod::WeightedAverage).unwrap();
        assert_eq!((c.rating, c.deviation), (1640.0, 120.0));
    }

    #[test]
    fn max_rating_takes_the_strongest() {
        let a = FixedRating::from_points(1500, 80, 60_000);
        let b = FixedRating::from_points(1700, 200, 60_000);
        let c = composite(&[a, b], TeamRatingMethod::MaxRating).unwrap();
        assert_eq!((c.rating, c.deviation), (1700.0, 200.0));
    }

    #[test]
    fn order_does_not_matter_bit_for_bit() {
        let team = [
            FixedRating::from_points(1511, 77, 60_000),
            FixedRating::from_points(1733, 301, 60_000),
            FixedRating::from_points(1402, 45, 60_000),
        ];
        let mut reversed = team;
        reversed.reverse();
        let a = composite(&team, TeamRatingMethod::WeightedAverage).unwrap();
        let b = composite(&reversed, TeamRatingMethod::WeightedAverage).unwrap();
        assert_eq!(a.rating.to_bits(), b.rating.to_bits());
        assert_eq!(a.deviation.to_bits(), b.deviation.to_bits());
        assert_eq!(mean_rating(&team), mean_rating(&reversed));
    }

    #[test]
    fn empty_team_has_no_composite() {
        assert_eq!(composite(&[], TeamRatingMethod::WeightedAverage), None);
        assert_eq!(composite(&[], TeamRatingMethod::MaxRating), None);
        assert_eq!(mean_rating(&[]), None);
    }
}
