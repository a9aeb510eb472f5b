//! Elo as an alternative provider: the update is `skillratings`' Elo; this module adds team
//! composites, information-content weighting (as a scaled K) and the rating floor.

use serde::{Deserialize, Serialize};
use skillratings::Outcomes;
use skillratings::elo::{EloConfig as SrEloConfig, EloRating};

use crate::description::{MatchDescription, PlayerId, PlayerRating};
use crate::error::{ConfigError, MatchError, check_range};
use crate::fixed::{FixedRating, RATING_SCALE, div_round, to_fixed};
use crate::information::{FULL, InformationConfig};
use crate::provider::{ELO, RankingProvider};
use crate::quality::{MatchQuality, draw_probability, fairness, permille};
use crate::team::mean_rating;

/// Logistic scale of Elo: a 400-point gap is 10:1 odds. Expressed in natural-log units it is
/// the same constant as Glicko-2's scale, used for the draw estimate.
const ELO_BETA: f64 = 173.7178;

/// Elo parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EloConfig {
    /// Rating of a new player.
    pub initial_rating: f64,
    /// Maximum change from one full-information game.
    pub k_factor: f64,
    /// Rating never falls below this.
    pub rating_floor: f64,
    /// Elo has no deviation, so a rating is provisional for this many rated games instead.
    pub provisional_games: u32,
}

impl Default for EloConfig {
    fn default() -> Self {
        Self {
            initial_rating: 1500.0,
            k_factor: 32.0,
            rating_floor: 100.0,
            provisional_games: 10,
        }
    }
}

impl EloConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "elo.k_factor",
            self.k_factor,
            self.k_factor > 0.0 && self.k_factor <= 400.0,
            "0 < k <= 400",
        )?;
        let finite = |x: f64| x.is_finite() && (-1e9..=1e9).contains(&x);
        check_range(
            "elo.initial_rating",
            self.initial_rating,
            finite(self.initial_rating),
            "finite, |x| <= 1e9",
        )?;
        check_range(
            "elo.rating_floor",
            self.rating_floor,
            finite(self.rating_floor) && self.rating_floor <= self.initial_rating,
            "finite and <= elo.initial_rating",
        )
    }
}

/// Elo provider.
#[derive(Debug, Clone)]
pub struct EloProvider {
    config: EloConfig,
    information: InformationConfig,
}

impl EloProvider {
    /// Validates both configurations and builds the provider.
    pub fn new(config: EloConfig, information: InformationConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        information.validate()?;
        Ok(Self {
            config,
            information,
        })
    }

    fn team_mean(team: &[PlayerRating]) -> Option<f64> {
        let ratings: Vec<FixedRating> = team.iter().map(|p| p.rating).collect();
        mean_rating(&ratings)
    }
}

fn outcome(score: f64) -> Outcomes {
    if score > 0.5 {
        Outcomes::WIN
    } else if score < 0.5 {
        Outcomes::LOSS
    } else {
        Outcomes::DRAW
    }
}

fn expected(a: f64, b: f64) -> f64 {
    skillratings::elo::expected_score(&EloRating { rating: a }, &EloRating { rating: b }).0
}

impl RankingProvider for EloProvider {
    fn algorithm_id(&self) -> &'static str {
        ELO
    }

    fn initial_rating(&self, player_id: PlayerId) -> PlayerRating {
        PlayerRating {
            player_id,
            rating: FixedRating {
                rating: to_fixed(self.config.initial_rating, RATING_SCALE).unwrap_or(1_500_000),
                deviation: 0,
                volatility: 0,
            },
            games_played: 0,
        }
    }

    fn update_ratings(&self, m: &MatchDescription) -> Result<Vec<PlayerRating>, MatchError> {
        m.validate()?;
        if !m.is_rated() {
            return Ok(m.participants().map(|p| p.rating).collect());
        }
        let means: Vec<f64> = m
            .teams
            .iter()
            .map(|t| {
                let ratings: Vec<PlayerRating> = t.players.iter().map(|p| p.rating).collect();
                Self::team_mean(&ratings).unwrap_or(self.config.initial_rating)
            })
            .collect();
        // skillratings' Elo has no notion of a partial game; scaling K by the information
        // content is the Elo equivalent of weighting the game, so K is the one thing set here.
        let info = self.information.information_content(m);
        let k = SrEloConfig {
            k: self.config.k_factor * f64::from(info) / f64::from(FULL),
        };
        let mut updated = Vec::new();
        for (i, team) in m.teams.iter().enumerate() {
            let results: Vec<(f64, f64)> = (0..m.teams.len())
                .filter(|&j| j != i)
                .map(|j| (means[j], outcome(m.score(i, j)).to_chess_points()))
                .collect();
            for p in &team.players {
                let before = p.rating.rating.rating_f64();
                // Every result against the rating before the match, all at once (skillratings'
                // `elo_rating_period` applies them one after another, so in a free-for-all a
                // larger K could give a smaller net change): the change is then K times one
                // sum, and more information never moves a rating less.
                let surprise: f64 = results
                    .iter()
                    .map(|&(opponent, points)| points - expected(before, opponent))
                    .sum();
                let after = if info == 0 {
                    before
                } else {
                    k.k.mul_add(surprise, before)
                };
                let rating = to_fixed(after.max(self.config.rating_floor), RATING_SCALE).ok_or(
                    MatchError::InvalidRating {
                        player: p.rating.player_id,
                        why: "update produced a value outside the fixed-point range",
                    },
                )?;
                updated.push(PlayerRating {
                    player_id: p.rating.player_id,
                    rating: FixedRating {
                        rating,
                        deviation: 0,
                        volatility: 0,
                    },
                    games_played: p.rating.games_played.saturating_add(1),
                });
            }
        }
        Ok(updated)
    }

    fn expected_score(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> i32 {
        match (Self::team_mean(team_a), Self::team_mean(team_b)) {
            (Some(a), Some(b)) => permille(expected(a, b)),
            _ => 0,
        }
    }

    fn match_quality(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> MatchQuality {
        let (Some(a), Some(b)) = (Self::team_mean(team_a), Self::team_mean(team_b)) else {
            return MatchQuality::default();
        };
        let e = expected(a, b);
        // Without deviations, the information of a game is that of a Bernoulli trial relative
        // to its maximum: 4·E·(1 − E).
        let balance = f64::from(
            self.information
                .balance_weight([team_a.len(), team_b.len()]),
        );
        MatchQuality {
            fairness: fairness(e),
            estimated_draw_probability: permille(draw_probability(a - b, 0.0, ELO_BETA)),
            information_content: permille(4.0 * e * (1.0 - e) * balance / f64::from(FULL)),
        }
    }

    fn display_rating(&self, r: &PlayerRating) -> String {
        div_round(i128::from(r.rating.rating), i128::from(RATING_SCALE)).to_string()
    }

    fn is_provisional(&self, r: &PlayerRating) -> bool {
        r.games_played < self.config.provisional_games
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::tests::{duel, player};

    fn provider() -> EloProvider {
        EloProvider::new(EloConfig::default(), InformationConfig::default()).unwrap()
    }

    #[test]
    fn equal_players_move_by_half_k() {
        let m = duel(player(1, 1500, 0), player(2, 1500, 0), 1, 2);
        let out = provider().update_ratings(&m).unwrap();
        assert_eq!(out[0].rating.rating, 1_516_000);
        assert_eq!(out[1].rating.rating, 1_484_000);
        assert_eq!(out[0].games_played, 21);
    }

    #[test]
    fn matches_skillratings_directly() {
        let m = duel(player(1, 1620, 0), player(2, 1480, 0), 2, 1);
        let out = provider().update_ratings(&m).unwrap();
        let (a, b) = skillratings::elo::elo(
            &EloRating { rating: 1620.0 },
            &EloRating { rating: 1480.0 },
            &Outcomes::LOSS,
            &SrEloConfig { k: 32.0 },
        );
        assert_eq!(out[0].rating.rating, to_fixed(a.rating, 1000).unwrap());
        assert_eq!(out[1].rating.rating, to_fixed(b.rating, 1000).unwrap());
    }

    #[test]
    fn information_content_scales_k_and_floor_holds() {
        let mut m = duel(player(1, 1500, 0), player(2, 1500, 0), 1, 2);
        m.prior_meetings = 1;
        let out = provider().update_ratings(&m).unwrap();
        assert_eq!(out[0].rating.rating, 1_508_000);
        let m = duel(player(1, 2500, 0), player(2, 100, 0), 2, 1);
        let out = provider().update_ratings(&m).unwrap();
        assert_eq!(out[1].rating.rating, 132_000);
        let m = duel(player(1, 100, 0), player(2, 2500, 0), 2, 1);
        let out = provider().update_ratings(&m).unwrap();
        assert_eq!(out[0].rating.rating, 100_000);
    }

    #[test]
    fn quality_and_display() {
        let p = provider();
        let a = [player(1, 1500, 0).rating];
        let b = [player(2, 1500, 0).rating];
        let q = p.match_quality(&a, &b);
        assert_eq!((q.fairness, q.information_content), (1000, 1000));
        assert_eq!(p.expected_score(&a, &b), 500);
        assert_eq!(p.display_rating(&a[0]), "1500");
        assert!(!p.is_provisional(&a[0]));
        assert!(p.is_provisional(&p.initial_rating(a[0].player_id)));
        assert_eq!(p.match_quality(&a, &[]), MatchQuality::default());
    }

    /// An Elo provider from the `[elo]` section given as TOML text.
    fn configured(elo: &str) -> EloProvider {
        let c = crate::config::tests::parse(&format!("[elo]\n{elo}"));
        EloProvider::new(c.elo, c.information).unwrap()
    }

    #[test]
    fn initial_rating_sets_a_new_players_rating() {
        let p = configured("initial_rating = 1200");
        let fresh = p.initial_rating(player(1, 0, 0).rating.player_id);
        assert_eq!(fresh.rating.rating, 1_200_000);
        assert_eq!(p.display_rating(&fresh), "1200");
        assert_eq!(
            provider().initial_rating(fresh.player_id).rating.rating,
            1_500_000
        );
    }

    #[test]
    fn a_smaller_k_factor_moves_ratings_less() {
        let m = duel(player(1, 1500, 0), player(2, 1500, 0), 1, 2);
        let out = configured("k_factor = 16").update_ratings(&m).unwrap();
        // Half of K between equals: 8 points instead of the default 16.
        assert_eq!(out[0].rating.rating, 1_508_000);
        assert_eq!(out[1].rating.rating, 1_492_000);
    }

    #[test]
    fn a_higher_rating_floor_stops_a_loss_at_the_floor() {
        let m = duel(player(1, 510, 0), player(2, 510, 0), 2, 1);
        assert_eq!(
            provider().update_ratings(&m).unwrap()[0].rating.rating,
            494_000
        );
        let floored = configured("rating_floor = 500").update_ratings(&m).unwrap();
        assert_eq!(floored[0].rating.rating, 500_000);
        assert_eq!(floored[1].rating.rating, 526_000);
    }

    #[test]
    fn provisional_games_sets_how_long_a_rating_is_provisional() {
        // `player` has played 20 games: settled by default (10), provisional at 25.
        let p = configured("provisional_games = 25");
        let mut r = player(1, 1500, 0).rating;
        assert!(!provider().is_provisional(&r));
        assert!(p.is_provisional(&r));
        r.games_played = 25;
        assert!(!p.is_provisional(&r));
    }

    #[test]
    fn invalid_config_is_rejected() {
        let c = EloConfig {
            k_factor: -1.0,
            ..Default::default()
        };
        assert!(EloProvider::new(c, InformationConfig::default()).is_err());
    }
}
