//! What the matchmaker asks of the rating math: the rating window for a queue time, whether a
//! proposed match is good enough, the best split of a lobby into two teams, desperation scaling.

use serde::{Deserialize, Serialize};

use crate::description::PlayerRating;
use crate::error::{ConfigError, check_range};
use crate::fixed::RATING_SCALE;
use crate::provider::RankingProvider;
use crate::quality::MatchQuality;

/// Queue parameters (defaults from DESIGN.md §4.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchmakingConfig {
    /// Half-width of the rating window when a player joins, in rating points.
    pub initial_range: u32,
    /// Points added to the half-width at each widening step.
    pub widen_step: u32,
    /// Seconds between widening steps.
    pub widen_interval_secs: u32,
    /// Largest half-width before desperation.
    pub max_range: u32,
    /// Queue time after which any rating may be matched, if enough players are queued.
    pub desperation_timeout_secs: u32,
    /// Players that must be queued for desperation to apply.
    pub desperation_min_queued: u32,
    /// Lowest acceptable fairness as a fraction (0.3 = fairness 300); never relaxed by
    /// desperation.
    pub min_match_quality: f64,
    /// Factor on `min_match_quality` for players in placement (the reference relaxes it 20%).
    pub placement_quality_factor: f64,
}

impl Default for MatchmakingConfig {
    fn default() -> Self {
        Self {
            initial_range: 100,
            widen_step: 50,
            widen_interval_secs: 30,
            max_range: 500,
            desperation_timeout_secs: 300,
            desperation_min_queued: 3,
            min_match_quality: 0.3,
            placement_quality_factor: 0.8,
        }
    }
}

/// Ratings a queued player may be matched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RatingWindow {
    /// Within ± this many rating points.
    Within(u32),
    /// Any rating (desperation); the quality floor still applies.
    Unbounded,
}

impl RatingWindow {
    /// True if `other` (fixed point) is inside the window centred on `center` (fixed point).
    pub fn contains(&self, center: i64, other: i64) -> bool {
        match *self {
            Self::Unbounded => true,
            Self::Within(half) => {
                let gap = (i128::from(center) - i128::from(other)).unsigned_abs();
                gap <= u128::from(half) * RATING_SCALE.unsigned_abs() as u128
            }
        }
    }
}

impl MatchmakingConfig {
    /// Checks ranges; an initial range above the maximum is an error rather than silently
    /// clamped, so the operator learns about it at start-up.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "matchmaking.widen_interval_secs",
            self.widen_interval_secs,
            self.widen_interval_secs > 0,
            "> 0",
        )?;
        check_range(
            "matchmaking.min_match_quality",
            self.min_match_quality,
            (0.0..=1.0).contains(&self.min_match_quality),
            "0.0..=1.0",
        )?;
        check_range(
            "matchmaking.placement_quality_factor",
            self.placement_quality_factor,
            (0.0..=1.0).contains(&self.placement_quality_factor),
            "0.0..=1.0",
        )?;
        if self.initial_range > self.max_range {
            return Err(ConfigError::Inconsistent {
                first: "matchmaking.initial_range",
                second: "matchmaking.max_range",
                why: "the initial range must not exceed the maximum range",
            });
        }
        Ok(())
    }

    /// The window after `queued_secs` in the queue with `queued_players` waiting (including
    /// this one): the initial range, widened every interval, capped at the maximum; unbounded
    /// once the desperation timeout has passed and enough players are queued.
    pub fn rating_window(&self, queued_secs: u64, queued_players: u32) -> RatingWindow {
        if queued_secs >= u64::from(self.desperation_timeout_secs)
            && queued_players >= self.desperation_min_queued
        {
            return RatingWindow::Unbounded;
        }
        let steps = queued_secs / u64::from(self.widen_interval_secs.max(1));
        let widened = u64::from(self.initial_range)
            .saturating_add(steps.saturating_mul(u64::from(self.widen_step)));
        let half = widened.min(u64::from(self.max_range));
        RatingWindow::Within(u32::try_from(half).unwrap_or(self.max_range))
    }

    /// Fairness floor in permille, relaxed for players in placement.
    pub fn fairness_floor(&self, in_placement: bool) -> i32 {
        let factor = if in_placement {
            self.placement_quality_factor
        } else {
            1.0
        };
        (self.min_match_quality * factor * 1000.0).round() as i32
    }

    /// True if a proposed match is fair enough. Desperation widens the window, never this.
    pub fn accepts(&self, quality: &MatchQuality, in_placement: bool) -> bool {
        quality.fairness >= self.fairness_floor(in_placement)
    }

    /// Information-content scale for a desperation match between ratings `rating_gap` points
    /// apart (permille): full up to twice the initial range, then
    /// 1 − clamp((gap − initial) / max, 0, 0.7).
    pub fn desperation_information_scale(&self, rating_gap: u32) -> u32 {
        if u64::from(rating_gap) <= 2 * u64::from(self.initial_range) || self.max_range == 0 {
            return 1000;
        }
        let excess = u64::from(rating_gap - self.initial_range.min(rating_gap)) * 1000
            / u64::from(self.max_range);
        1000 - excess.min(700) as u32
    }
}

/// A split of players into two teams with its quality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSplit {
    /// Indices (into the input) of team A.
    pub team_a: Vec<usize>,
    /// Indices of team B.
    pub team_b: Vec<usize>,
    /// Quality of this split.
    pub quality: MatchQuality,
}

/// Largest lobby `best_split` accepts: C(16, 8) / 2 = 6435 candidate splits.
pub const MAX_SPLIT_PLAYERS: usize = 16;

/// The fairest split of an even-sized lobby into two equal teams, by exhaustive search (ties
/// go to the first split found, so the answer is deterministic). `None` for an odd count, an
/// empty lobby or more than [`MAX_SPLIT_PLAYERS`].
pub fn best_split(provider: &dyn RankingProvider, players: &[PlayerRating]) -> Option<TeamSplit> {
    let n = players.len();
    if n == 0 || n % 2 != 0 || n > MAX_SPLIT_PLAYERS {
        return None;
    }
    let mut best: Option<TeamSplit> = None;
    // Player 0 is always on team A, so each split is visited once, not twice.
    for mask in 0u32..(1 << n) {
        if mask & 1 == 0 || mask.count_ones() as usize != n / 2 {
            continue;
        }
        let (a, b): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| mask & (1 << i) != 0);
        let team = |idx: &[usize]| idx.iter().map(|&i| players[i]).collect::<Vec<_>>();
        let quality = provider.match_quality(&team(&a), &team(&b));
        let better = best.as_ref().is_none_or(|s| {
            (quality.fairness, quality.information_content)
                > (s.quality.fairness, s.quality.information_content)
        });
        if better {
            best = Some(TeamSplit {
                team_a: a,
                team_b: b,
                quality,
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::tests::player;
    use crate::glicko2::{Glicko2Config, Glicko2Provider};
    use crate::information::InformationConfig;

    #[test]
    fn window_widens_every_interval_up_to_the_maximum() {
        let c = MatchmakingConfig::default();
        assert_eq!(c.rating_window(0, 10), RatingWindow::Within(100));
        assert_eq!(c.rating_window(29, 10), RatingWindow::Within(100));
        assert_eq!(c.rating_window(30, 10), RatingWindow::Within(150));
        assert_eq!(c.rating_window(239, 10), RatingWindow::Within(450));
        assert_eq!(c.rating_window(240, 10), RatingWindow::Within(500));
        assert_eq!(c.rating_window(299, 10), RatingWindow::Within(500));
        assert_eq!(c.rating_window(300, 3), RatingWindow::Unbounded);
        assert_eq!(c.rating_window(300, 2), RatingWindow::Within(500));
        assert_eq!(c.rating_window(u64::MAX, 2), RatingWindow::Within(500));
    }

    #[test]
    fn window_membership() {
        let w = RatingWindow::Within(100);
        assert!(w.contains(1_500_000, 1_600_000));
        assert!(!w.contains(1_500_000, 1_600_001));
        assert!(w.contains(1_500_000, 1_400_000));
        assert!(RatingWindow::Unbounded.contains(0, i64::MAX));
    }

    #[test]
    fn quality_floor_and_placement_relaxation() {
        let c = MatchmakingConfig::default();
        let q = |fairness| MatchQuality {
            fairness,
            ..Default::default()
        };
        assert!(c.accepts(&q(300), false));
        assert!(!c.accepts(&q(299), false));
        assert!(c.accepts(&q(240), true));
        assert!(!c.accepts(&q(239), true));
    }

    #[test]
    fn desperation_scale_follows_the_formula() {
        let c = MatchmakingConfig::default();
        assert_eq!(c.desperation_information_scale(200), 1000);
        // (250 - 100) / 500 = 0.3 -> 0.7
        assert_eq!(c.desperation_information_scale(250), 700);
        assert_eq!(c.desperation_information_scale(5000), 300);
    }

    #[test]
    fn invalid_matchmaking_configs() {
        assert_eq!(MatchmakingConfig::default().validate(), Ok(()));
        let c = MatchmakingConfig {
            initial_range: 600,
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Inconsistent { .. })
        ));
        let c = MatchmakingConfig {
            min_match_quality: 1.5,
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }

    /// The `[matchmaking]` section of a `[rating]` section given as TOML text.
    fn configured(text: &str) -> MatchmakingConfig {
        crate::config::tests::parse(&format!("[matchmaking]\n{text}")).matchmaking
    }

    #[test]
    fn initial_range_sets_the_first_window_and_the_full_information_gap() {
        let c = configured("initial_range = 40");
        assert_eq!(c.rating_window(0, 10), RatingWindow::Within(40));
        assert_eq!(c.rating_window(30, 10), RatingWindow::Within(90));
        // Full information only up to twice the initial range: (100 − 40) / 500 = 0.12 off.
        assert_eq!(c.desperation_information_scale(100), 880);
        assert_eq!(
            MatchmakingConfig::default().desperation_information_scale(100),
            1000
        );
    }

    #[test]
    fn widen_step_and_interval_set_how_fast_the_window_grows() {
        let step = configured("widen_step = 10");
        assert_eq!(step.rating_window(60, 10), RatingWindow::Within(120));
        let interval = configured("widen_interval_secs = 10");
        assert_eq!(interval.rating_window(10, 10), RatingWindow::Within(150));
        assert_eq!(interval.rating_window(60, 10), RatingWindow::Within(400));
        let default = MatchmakingConfig::default();
        assert_eq!(default.rating_window(60, 10), RatingWindow::Within(200));
        assert_eq!(default.rating_window(10, 10), RatingWindow::Within(100));
    }

    #[test]
    fn max_range_caps_the_window_and_scales_desperation() {
        let c = configured("max_range = 300");
        assert_eq!(c.rating_window(299, 2), RatingWindow::Within(300));
        assert_eq!(
            MatchmakingConfig::default().rating_window(299, 2),
            RatingWindow::Within(500)
        );
        // (250 − 100) / 1000 = 0.15 off instead of (250 − 100) / 500 = 0.3.
        let wide = configured("max_range = 1000");
        assert_eq!(wide.desperation_information_scale(250), 850);
    }

    #[test]
    fn desperation_keys_set_when_any_rating_may_match() {
        let early = configured("desperation_timeout_secs = 60");
        assert_eq!(early.rating_window(60, 3), RatingWindow::Unbounded);
        assert_eq!(early.rating_window(59, 3), RatingWindow::Within(150));
        assert_eq!(
            MatchmakingConfig::default().rating_window(60, 3),
            RatingWindow::Within(200)
        );
        let crowded = configured("desperation_min_queued = 10");
        assert_eq!(crowded.rating_window(300, 3), RatingWindow::Within(500));
        assert_eq!(crowded.rating_window(300, 10), RatingWindow::Unbounded);
    }

    #[test]
    fn quality_keys_set_the_fairness_floor() {
        let q = |fairness| MatchQuality {
            fairness,
            ..Default::default()
        };
        let strict = configured("min_match_quality = 0.5");
        assert_eq!(strict.fairness_floor(false), 500);
        assert!(!strict.accepts(&q(400), false));
        assert!(strict.accepts(&q(500), false));
        assert!(MatchmakingConfig::default().accepts(&q(400), false));
        // Placement relaxes the floor by the factor: 0.3 · 0.5 = 150 instead of 240.
        let relaxed = configured("placement_quality_factor = 0.5");
        assert_eq!(relaxed.fairness_floor(true), 150);
        assert!(relaxed.accepts(&q(150), true));
        assert!(!MatchmakingConfig::default().accepts(&q(150), true));
        assert!(!relaxed.accepts(&q(150), false));
    }

    #[test]
    fn best_split_pairs_strong_with_weak() {
        let p =
            Glicko2Provider::new(Glicko2Config::default(), InformationConfig::default()).unwrap();
        let players: Vec<PlayerRating> = [2000, 1900, 1100, 1000]
            .iter()
            .enumerate()
            .map(|(i, &r)| player(i as u8 + 1, r, 60).rating)
            .collect();
        let split = best_split(&p, &players).unwrap();
        assert_eq!(split.team_a, vec![0, 3]);
        assert_eq!(split.team_b, vec![1, 2]);
        assert!(split.quality.fairness > 900);
        assert!(best_split(&p, &players[..3]).is_none());
        assert!(best_split(&p, &[]).is_none());
    }
}
