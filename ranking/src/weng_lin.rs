//! Weng-Lin (OpenSkill, Bradley-Terry full pairing) for team and free-for-all modes: the update
//! is `skillratings`' multi-team Weng-Lin; this module adds canonical ordering and weighting.

use serde::{Deserialize, Serialize};
use skillratings::MultiTeamOutcome;
use skillratings::weng_lin::{
    WengLinConfig as SrWengLinConfig, WengLinRating, expected_score_two_teams, weng_lin_multi_team,
};

use crate::description::{MatchDescription, PlayerId, PlayerRating};
use crate::error::{ConfigError, MatchError, check_range};
use crate::fixed::{FixedRating, RATING_SCALE, to_fixed};
use crate::information::{FULL, InformationConfig};
use crate::provider::{RankingProvider, WENG_LIN};
use crate::quality::{MatchQuality, draw_probability, fairness, permille};

/// Weng-Lin parameters, on OpenSkill's native scale (μ 25, σ 25/3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WengLinConfig {
    /// μ of a new player.
    pub initial_mu: f64,
    /// σ of a new player.
    pub initial_sigma: f64,
    /// β: performance spread; a β gap in μ is about a 2:1 favourite.
    pub beta: f64,
    /// κ: smallest σ² reduction factor, keeps σ positive.
    pub uncertainty_tolerance: f64,
    /// σ above which a rating is provisional.
    pub provisional_sigma: f64,
}

impl Default for WengLinConfig {
    fn default() -> Self {
        Self {
            initial_mu: 25.0,
            initial_sigma: 25.0 / 3.0,
            beta: 25.0 / 6.0,
            uncertainty_tolerance: 0.000_001,
            provisional_sigma: 2.5,
        }
    }
}

impl WengLinConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "weng_lin.initial_mu",
            self.initial_mu,
            self.initial_mu.is_finite() && self.initial_mu.abs() <= 1e9,
            "finite, |x| <= 1e9",
        )?;
        for (key, value) in [
            ("weng_lin.initial_sigma", self.initial_sigma),
            ("weng_lin.beta", self.beta),
        ] {
            check_range(key, value, value > 0.0 && value <= 1e6, "0 < x <= 1e6")?;
        }
        check_range(
            "weng_lin.uncertainty_tolerance",
            self.uncertainty_tolerance,
            self.uncertainty_tolerance > 0.0 && self.uncertainty_tolerance < 1.0,
            "0 < x < 1",
        )?;
        check_range(
            "weng_lin.provisional_sigma",
            self.provisional_sigma,
            self.provisional_sigma >= 0.0 && self.provisional_sigma.is_finite(),
            ">= 0",
        )
    }

    fn library(&self) -> SrWengLinConfig {
        SrWengLinConfig {
            beta: self.beta,
            uncertainty_tolerance: self.uncertainty_tolerance,
        }
    }
}

/// Weng-Lin provider. Ratings are stored as μ×1000 in `rating`, σ×1000 in `deviation`, and a
/// volatility of zero.
#[derive(Debug, Clone)]
pub struct WengLinProvider {
    config: WengLinConfig,
    information: InformationConfig,
}

fn to_library(r: &PlayerRating) -> WengLinRating {
    WengLinRating {
        rating: r.rating.rating_f64(),
        uncertainty: r.rating.deviation_f64(),
    }
}

/// A team's players as library ratings in canonical order, with each one's index in the input.
/// The library sums μ and σ² over a team, and float sums depend on order.
fn canonical_team(players: &[PlayerRating]) -> (Vec<usize>, Vec<WengLinRating>) {
    let mut order: Vec<usize> = (0..players.len()).collect();
    order.sort_unstable_by_key(|&i| players[i].rating);
    let ratings = order.iter().map(|&i| to_library(&players[i])).collect();
    (order, ratings)
}

impl WengLinProvider {
    /// Validates both configurations and builds the provider.
    pub fn new(config: WengLinConfig, information: InformationConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        information.validate()?;
        Ok(Self {
            config,
            information,
        })
    }
}

impl RankingProvider for WengLinProvider {
    fn algorithm_id(&self) -> &'static str {
        WENG_LIN
    }

    fn initial_rating(&self, player_id: PlayerId) -> PlayerRating {
        PlayerRating {
            player_id,
            rating: FixedRating {
                rating: to_fixed(self.config.initial_mu, RATING_SCALE).unwrap_or(25_000),
                deviation: to_fixed(self.config.initial_sigma, RATING_SCALE).unwrap_or(8_333),
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
        for p in m.participants() {
            if p.rating.rating.deviation <= 0 {
                return Err(MatchError::InvalidRating {
                    player: p.rating.player_id,
                    why: "sigma must be positive",
                });
            }
        }
        let teams: Vec<Vec<PlayerRating>> = m
            .teams
            .iter()
            .map(|t| t.players.iter().map(|p| p.rating).collect())
            .collect();
        let canonical: Vec<(Vec<usize>, Vec<WengLinRating>)> =
            teams.iter().map(|t| canonical_team(t)).collect();
        let placements = m.effective_placements();
        let input: Vec<(&[WengLinRating], MultiTeamOutcome)> = canonical
            .iter()
            .zip(&placements)
            .map(|((_, ratings), &place)| (ratings.as_slice(), MultiTeamOutcome::new(place)))
            .collect();
        let rated = weng_lin_multi_team(&input, &self.config.library());

        // The library has no partial games; moving μ and σ only `weight` of the way to the
        // library's result is written here for that. Weight 1 is exactly the library's update.
        let info = self.information.information_content(m);
        let weight = f64::from(info) / f64::from(FULL);
        let mut updated = Vec::new();
        for (t, team) in teams.iter().enumerate() {
            let mut after = vec![None; team.len()];
            let (order, before) = &canonical[t];
            for (k, &index) in order.iter().enumerate() {
                let new = rated
                    .get(t)
                    .and_then(|r| r.get(k))
                    .copied()
                    .unwrap_or(before[k]);
                let mu = before[k].rating + weight * (new.rating - before[k].rating);
                let sigma =
                    before[k].uncertainty + weight * (new.uncertainty - before[k].uncertainty);
                after[index] = Some((mu, sigma));
            }
            for (p, values) in team.iter().zip(after) {
                let (mu, sigma) =
                    values.unwrap_or((p.rating.rating_f64(), p.rating.deviation_f64()));
                let invalid = MatchError::InvalidRating {
                    player: p.player_id,
                    why: "update produced a value outside the fixed-point range",
                };
                updated.push(PlayerRating {
                    player_id: p.player_id,
                    rating: FixedRating {
                        rating: to_fixed(mu, RATING_SCALE).ok_or(invalid.clone())?,
                        deviation: to_fixed(sigma, RATING_SCALE).ok_or(invalid)?,
                        volatility: 0,
                    },
                    games_played: p.games_played.saturating_add(1),
                });
            }
        }
        Ok(updated)
    }

    fn expected_score(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> i32 {
        if team_a.is_empty() || team_b.is_empty() {
            return 0;
        }
        let (_, a) = canonical_team(team_a);
        let (_, b) = canonical_team(team_b);
        permille(expected_score_two_teams(&a, &b, &self.config.library()).0)
    }

    fn match_quality(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> MatchQuality {
        if team_a.is_empty() || team_b.is_empty() {
            return MatchQuality::default();
        }
        let (_, a) = canonical_team(team_a);
        let (_, b) = canonical_team(team_b);
        let e = expected_score_two_teams(&a, &b, &self.config.library()).0;
        let mu = |t: &[WengLinRating]| t.iter().map(|p| p.rating).sum::<f64>();
        let var =
            |t: &[WengLinRating]| t.iter().map(|p| p.uncertainty * p.uncertainty).sum::<f64>();
        let beta2 = self.config.beta * self.config.beta;
        // Share of each player's variance one game could resolve, σ² / (σ² + β²), averaged
        // and scaled by how uncertain the outcome is (4·E·(1 − E)).
        let players = a.len() + b.len();
        let share: f64 = a
            .iter()
            .chain(&b)
            .map(|p| {
                let s2 = p.uncertainty * p.uncertainty;
                s2 / (s2 + beta2)
            })
            .sum::<f64>()
            / players as f64;
        let balance = f64::from(self.information.balance_weight([a.len(), b.len()]));
        MatchQuality {
            fairness: fairness(e),
            estimated_draw_probability: permille(draw_probability(
                mu(&a) - mu(&b),
                var(&a) + var(&b),
                self.config.beta,
            )),
            information_content: permille(share * 4.0 * e * (1.0 - e) * balance / f64::from(FULL)),
        }
    }

    fn display_rating(&self, r: &PlayerRating) -> String {
        format!(
            "{:.1} ± {:.1}",
            r.rating.rating_f64(),
            r.rating.deviation_f64()
        )
    }

    fn is_provisional(&self, r: &PlayerRating) -> bool {
        r.rating.deviation_f64() > self.config.provisional_sigma
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::tests::player;
    use crate::description::{MatchEnd, MatchMode, Participant, Team};

    fn provider() -> WengLinProvider {
        WengLinProvider::new(WengLinConfig::default(), InformationConfig::default()).unwrap()
    }

    fn wl(id: u8, mu: f64, sigma: f64) -> Participant {
        let mut p = player(id, 0, 0);
        p.rating.rating = FixedRating {
            rating: to_fixed(mu, 1000).unwrap(),
            deviation: to_fixed(sigma, 1000).unwrap(),
            volatility: 0,
        };
        p
    }

    fn ffa(players: Vec<(Participant, u32)>) -> MatchDescription {
        MatchDescription {
            teams: players
                .into_iter()
                .map(|(p, placement)| Team {
                    players: vec![p],
                    placement,
                })
                .collect(),
            end: MatchEnd::Completed,
            mode: MatchMode::Ranked,
            duration_ticks: 20_000,
            tick_rate: 15,
            prior_meetings: 0,
            external_weight: 1000,
        }
    }

    #[test]
    fn free_for_all_orders_ratings_by_placement() {
        let m = ffa(vec![
            (wl(1, 25.0, 8.333), 3),
            (wl(2, 25.0, 8.333), 1),
            (wl(3, 25.0, 8.333), 2),
        ]);
        let out = provider().update_ratings(&m).unwrap();
        assert!(out[1].rating.rating > out[2].rating.rating);
        assert!(out[2].rating.rating > out[0].rating.rating);
        assert!(out.iter().all(|p| p.rating.deviation < 8_333));
    }

    #[test]
    fn matches_skillratings_for_two_teams() {
        let a = [wl(1, 27.0, 5.0), wl(2, 22.0, 7.0)];
        let b = [wl(3, 25.0, 8.0), wl(4, 24.0, 3.0)];
        let m = MatchDescription {
            teams: vec![
                Team {
                    players: a.to_vec(),
                    placement: 1,
                },
                Team {
                    players: b.to_vec(),
                    placement: 2,
                },
            ],
            ..ffa(vec![])
        };
        let out = provider().update_ratings(&m).unwrap();
        let lib = |p: &Participant| to_library(&p.rating);
        let mut ta = [lib(&a[0]), lib(&a[1])];
        let mut tb = [lib(&b[0]), lib(&b[1])];
        // Same canonical order (ascending fixed rating) as the provider uses.
        ta.sort_by(|x, y| x.rating.total_cmp(&y.rating));
        tb.sort_by(|x, y| x.rating.total_cmp(&y.rating));
        let rated = weng_lin_multi_team(
            &[
                (&ta[..], MultiTeamOutcome::new(1)),
                (&tb[..], MultiTeamOutcome::new(2)),
            ],
            &SrWengLinConfig::new(),
        );
        let na = &rated[0];
        // Player 2 (μ 22) sorts first in team A.
        assert_eq!(out[1].rating.rating, to_fixed(na[0].rating, 1000).unwrap());
        assert_eq!(out[0].rating.rating, to_fixed(na[1].rating, 1000).unwrap());
        assert_eq!(
            out[0].rating.deviation,
            to_fixed(na[1].uncertainty, 1000).unwrap()
        );
    }

    #[test]
    fn half_information_moves_half_way() {
        let mut m = ffa(vec![(wl(1, 25.0, 8.0), 1), (wl(2, 25.0, 8.0), 2)]);
        let full = provider().update_ratings(&m).unwrap();
        m.prior_meetings = 1;
        let half = provider().update_ratings(&m).unwrap();
        let gain = |r: &[PlayerRating]| r[0].rating.rating - 25_000;
        assert!((gain(&full) - 2 * gain(&half)).abs() <= 1);
    }

    /// A Weng-Lin provider from the `[weng_lin]` section given as TOML text.
    fn configured(weng_lin: &str) -> WengLinProvider {
        let c = crate::config::tests::parse(&format!("[weng_lin]\n{weng_lin}"));
        WengLinProvider::new(c.weng_lin, c.information).unwrap()
    }

    #[test]
    fn initial_mu_and_sigma_set_a_new_players_rating() {
        let p = configured("initial_mu = 30\ninitial_sigma = 5");
        let fresh = p.initial_rating(wl(1, 0.0, 1.0).rating.player_id);
        assert_eq!(
            (fresh.rating.rating, fresh.rating.deviation),
            (30_000, 5_000)
        );
        assert_eq!(p.display_rating(&fresh), "30.0 ± 5.0");
    }

    #[test]
    fn a_larger_beta_makes_a_rating_gap_count_for_less() {
        let strong = [wl(1, 30.0, 1.0).rating];
        let weak = [wl(2, 25.0, 1.0).rating];
        let wide = configured("beta = 12.5");
        let default_odds = provider().expected_score(&strong, &weak);
        let wide_odds = wide.expected_score(&strong, &weak);
        assert!(
            wide_odds > 500 && wide_odds < default_odds - 100,
            "{wide_odds} {default_odds}"
        );
        assert!(
            wide.match_quality(&strong, &weak)
                .estimated_draw_probability
                > provider()
                    .match_quality(&strong, &weak)
                    .estimated_draw_probability
        );
        // The update reads β as well: the same win moves μ by a different amount.
        let m = ffa(vec![(wl(1, 30.0, 5.0), 1), (wl(2, 25.0, 5.0), 2)]);
        let default_gain = provider().update_ratings(&m).unwrap()[0].rating.rating;
        let wide_gain = wide.update_ratings(&m).unwrap()[0].rating.rating;
        assert!(wide_gain > 30_000 && wide_gain != default_gain);
    }

    #[test]
    fn a_larger_uncertainty_tolerance_keeps_more_sigma() {
        // κ bounds the σ² reduction factor from below: with κ = 0.99, σ keeps at least
        // sqrt(0.99) ≈ 99.5% of its value in one game; the default lets it fall further.
        let m = ffa(vec![(wl(1, 25.0, 8.333), 1), (wl(2, 25.0, 8.333), 2)]);
        let default = provider().update_ratings(&m).unwrap();
        let tolerant = configured("uncertainty_tolerance = 0.99")
            .update_ratings(&m)
            .unwrap();
        let floor = to_fixed(8.333 * 0.99f64.sqrt(), 1000).unwrap();
        assert!(default[0].rating.deviation < floor, "{default:?}");
        assert!(
            tolerant.iter().all(|p| p.rating.deviation >= floor),
            "{tolerant:?}"
        );
    }

    #[test]
    fn provisional_sigma_sets_the_provisional_threshold() {
        let fresh = wl(1, 25.0, 8.333).rating;
        assert!(provider().is_provisional(&fresh));
        let p = configured("provisional_sigma = 9");
        assert!(!p.is_provisional(&fresh));
        assert!(p.is_provisional(&wl(1, 25.0, 9.001).rating));
    }

    #[test]
    fn quality_display_and_provisional() {
        let p = provider();
        let a = [wl(1, 25.0, 8.333).rating];
        let b = [wl(2, 25.0, 8.333).rating];
        let q = p.match_quality(&a, &b);
        assert_eq!(q.fairness, 1000);
        assert!(q.information_content > 0 && q.estimated_draw_probability > 0);
        assert_eq!(p.expected_score(&a, &b), 500);
        assert_eq!(p.display_rating(&a[0]), "25.0 ± 8.3");
        assert!(p.is_provisional(&a[0]));
        assert_eq!(p.initial_rating(a[0].player_id).rating.deviation, 8_333);
    }
}
