//! `Glicko2Provider`: one rating period per match, teams rated against the opposing team's
//! composite, information content as the weight of each result.

use super::{
    GameResult, Glicko2Config, Glicko2Rating, apply_inactivity, expected_score,
    information_fraction, rate_period,
};
use crate::description::{MatchDescription, PlayerId, PlayerRating};
use crate::error::{ConfigError, MatchError};
use crate::fixed::{FixedRating, div_round, to_fixed};
use crate::information::{FULL, InformationConfig};
use crate::provider::{GLICKO2, RankingProvider};
use crate::quality::{MatchQuality, draw_probability, fairness, permille};
use crate::team::{Estimate, composite};

/// The default rating algorithm.
#[derive(Debug, Clone)]
pub struct Glicko2Provider {
    config: Glicko2Config,
    information: InformationConfig,
}

impl Glicko2Provider {
    /// Validates both configurations and builds the provider.
    pub fn new(config: Glicko2Config, information: InformationConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        information.validate()?;
        Ok(Self {
            config,
            information,
        })
    }

    /// The Glicko-2 parameters in use.
    pub fn config(&self) -> &Glicko2Config {
        &self.config
    }

    /// Converts a stored rating into the core's form, rejecting values the formulas cannot take.
    fn to_core(&self, r: &PlayerRating) -> Result<Glicko2Rating, MatchError> {
        let invalid = |why| MatchError::InvalidRating {
            player: r.player_id,
            why,
        };
        if r.rating.deviation <= 0 {
            return Err(invalid("deviation must be positive"));
        }
        if r.rating.volatility <= 0 {
            return Err(invalid("volatility must be positive"));
        }
        Ok(Glicko2Rating {
            rating: r.rating.rating_f64(),
            deviation: r.rating.deviation_f64(),
            volatility: r.rating.volatility_f64(),
        })
    }

    /// Team estimates for quality: deviations outside the configured bounds (including
    /// zero from a foreign algorithm) are clamped so that the estimate is always defined.
    fn estimates(&self, team: &[PlayerRating]) -> Vec<Estimate> {
        team.iter()
            .map(|p| Estimate {
                rating: p.rating.rating_f64(),
                deviation: p
                    .rating
                    .deviation_f64()
                    .clamp(self.config.deviation_floor, self.config.deviation_ceiling),
            })
            .collect()
    }
}

impl RankingProvider for Glicko2Provider {
    fn algorithm_id(&self) -> &'static str {
        GLICKO2
    }

    fn initial_rating(&self, player_id: PlayerId) -> PlayerRating {
        let c = &self.config;
        PlayerRating {
            player_id,
            // Validated configs hold finite values below 2^53 / 10^6, so this cannot fail; the
            // fallback keeps the function total anyway.
            rating: FixedRating::from_f64(
                c.initial_rating,
                c.initial_deviation,
                c.initial_volatility,
            )
            .unwrap_or(FixedRating::from_points(1500, 350, 60_000)),
            games_played: 0,
        }
    }

    fn update_ratings(&self, m: &MatchDescription) -> Result<Vec<PlayerRating>, MatchError> {
        m.validate()?;
        if !m.is_rated() {
            return Ok(m.participants().map(|p| p.rating).collect());
        }
        // Inactivity comes first: an opponent back from a long break is also less certain.
        let mut before = Vec::with_capacity(m.teams.len());
        for team in &m.teams {
            let mut players = Vec::with_capacity(team.players.len());
            for p in &team.players {
                let core = self.to_core(&p.rating)?;
                players.push(apply_inactivity(core, p.idle_periods, &self.config));
            }
            before.push(players);
        }
        let composites: Vec<Estimate> = before
            .iter()
            .map(|players| {
                let estimates: Vec<Estimate> = players
                    .iter()
                    .map(|r| Estimate {
                        rating: r.rating,
                        deviation: r.deviation,
                    })
                    .collect();
                // Teams are non-empty after validation, so a composite always exists.
                composite(&estimates, self.config.team_rating_method).unwrap_or(Estimate {
                    rating: self.config.initial_rating,
                    deviation: self.config.initial_deviation,
                })
            })
            .collect();

        let info = self.information.information_content(m);
        let weight = f64::from(info) / f64::from(FULL);
        let mut updated = Vec::with_capacity(m.participants().count());
        for (i, team) in m.teams.iter().enumerate() {
            let results: Vec<GameResult> = (0..m.teams.len())
                .filter(|&j| j != i)
                .map(|j| GameResult {
                    opponent_rating: composites[j].rating,
                    opponent_deviation: composites[j].deviation,
                    score: m.score(i, j),
                    weight,
                })
                .collect();
            for (p, start) in team.players.iter().zip(&before[i]) {
                // A match without information leaves the rating alone instead of treating the
                // player as absent (which would grow the deviation by σ).
                let after = if info == 0 {
                    *start
                } else {
                    rate_period(*start, &results, &self.config)
                };
                let rating = FixedRating::from_f64(after.rating, after.deviation, after.volatility)
                    .ok_or(MatchError::InvalidRating {
                        player: p.rating.player_id,
                        why: "update produced a value outside the fixed-point range",
                    })?;
                updated.push(PlayerRating {
                    player_id: p.rating.player_id,
                    rating,
                    games_played: p.rating.games_played.saturating_add(1),
                });
            }
        }
        Ok(updated)
    }

    fn expected_score(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> i32 {
        let method = self.config.team_rating_method;
        match (
            composite(&self.estimates(team_a), method),
            composite(&self.estimates(team_b), method),
        ) {
            (Some(a), Some(b)) => {
                permille(expected_score(a.rating, a.deviation, b.rating, b.deviation))
            }
            _ => 0,
        }
    }

    fn match_quality(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> MatchQuality {
        let method = self.config.team_rating_method;
        let (ea, eb) = (self.estimates(team_a), self.estimates(team_b));
        let (Some(a), Some(b)) = (composite(&ea, method), composite(&eb, method)) else {
            return MatchQuality::default();
        };
        let expected = expected_score(a.rating, a.deviation, b.rating, b.deviation);
        let variance = a.deviation * a.deviation + b.deviation * b.deviation;
        let draw = draw_probability(a.rating - b.rating, variance, super::SCALE);
        // Mean share of each player's variance that the game would remove, scaled by the
        // team-balance weight: a lopsided 1v2 teaches less than the formula alone suggests.
        let fractions: f64 = ea
            .iter()
            .map(|p| information_fraction(p.rating, p.deviation, b.rating, b.deviation))
            .chain(
                eb.iter()
                    .map(|p| information_fraction(p.rating, p.deviation, a.rating, a.deviation)),
            )
            .sum();
        let mean = fractions / (ea.len() + eb.len()) as f64;
        let balance = f64::from(self.information.balance_weight([ea.len(), eb.len()]));
        MatchQuality {
            fairness: fairness(expected),
            estimated_draw_probability: permille(draw),
            information_content: permille(mean * balance / f64::from(FULL)),
        }
    }

    fn display_rating(&self, r: &PlayerRating) -> String {
        let scale = i128::from(crate::fixed::RATING_SCALE);
        format!(
            "{} ± {}",
            div_round(i128::from(r.rating.rating), scale),
            div_round(i128::from(r.rating.deviation), scale)
        )
    }

    fn is_provisional(&self, r: &PlayerRating) -> bool {
        let threshold = to_fixed(
            self.config.provisional_deviation,
            crate::fixed::RATING_SCALE,
        );
        threshold.is_some_and(|t| r.rating.deviation > t)
    }
}

#[cfg(test)]
mod tests;
