//! Glicko-2 (Glickman, 2013): the rating-period core that can rate several results at once,
//! with bounds, inactivity growth and per-result information weights, and its provider.

mod config;
mod provider;
mod volatility;

pub use config::Glicko2Config;
pub use provider::Glicko2Provider;

use std::f64::consts::PI;

use volatility::VolatilityInputs;

/// Glickman's factor between the Glicko scale and the Glicko-2 scale (≈ 400 / ln 10).
pub const SCALE: f64 = 173.7178;
/// Origin of the Glicko-2 scale. Fixed by the algorithm, independent of the configured initial
/// rating.
pub const CENTER: f64 = 1500.0;

/// A rating on the Glicko scale, in floating point: the core's working form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glicko2Rating {
    /// Rating r.
    pub rating: f64,
    /// Rating deviation RD.
    pub deviation: f64,
    /// Volatility σ.
    pub volatility: f64,
}

/// One game of a rating period, seen from the rated player.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GameResult {
    /// Opponent's rating (a team composite in team games).
    pub opponent_rating: f64,
    /// Opponent's deviation.
    pub opponent_deviation: f64,
    /// 1 for a win, 0.5 for a draw, 0 for a loss.
    pub score: f64,
    /// Information content in 0..=1; 1 is an ordinary Glicko-2 game, 0 ignores the game.
    pub weight: f64,
}

/// g(φ): how much an opponent's uncertainty dampens what a result says.
fn g(phi: f64) -> f64 {
    1.0 / (1.0 + 3.0 * phi * phi / (PI * PI)).sqrt()
}

/// E(μ, μj, φj): expected score against an opponent.
fn expectation(mu: f64, mu_opponent: f64, g_opponent: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-g_opponent * (mu - mu_opponent)))
}

/// Expected score of `a` against `b`, taking both deviations into account (the probability the
/// matchmaker and quality estimates use).
pub fn expected_score(a_rating: f64, a_deviation: f64, b_rating: f64, b_deviation: f64) -> f64 {
    let combined = (a_deviation * a_deviation + b_deviation * b_deviation).sqrt() / SCALE;
    expectation(
        (a_rating - CENTER) / SCALE,
        (b_rating - CENTER) / SCALE,
        g(combined),
    )
}

/// Fraction of a player's rating variance that one game against `opponent` is expected to
/// remove: φ² / (φ² + v). 0 means the game teaches nothing, values near 1 mean it settles much.
pub fn information_fraction(
    player_rating: f64,
    player_deviation: f64,
    opponent_rating: f64,
    opponent_deviation: f64,
) -> f64 {
    let phi = player_deviation / SCALE;
    let g_j = g(opponent_deviation / SCALE);
    let e = expectation(
        (player_rating - CENTER) / SCALE,
        (opponent_rating - CENTER) / SCALE,
        g_j,
    );
    let inverse_v = g_j * g_j * e * (1.0 - e);
    let phi2 = phi * phi;
    phi2 * inverse_v / (1.0 + phi2 * inverse_v)
}

/// Deviation growth over `periods` idle periods: RD = sqrt(RD² + c²·t), capped at the ceiling.
pub fn apply_inactivity(
    player: Glicko2Rating,
    periods: u32,
    config: &Glicko2Config,
) -> Glicko2Rating {
    if periods == 0 {
        return player;
    }
    let c2t = config.inactivity_c * config.inactivity_c * f64::from(periods);
    let grown = (player.deviation * player.deviation + c2t).sqrt();
    Glicko2Rating {
        deviation: grown.min(config.deviation_ceiling),
        ..player
    }
}

/// Rates one player over one rating period with any number of results (Glickman's steps 2–8).
///
/// Each result's `weight` multiplies its contribution to both the information sum (1/v) and
/// the surprise sum (Σ g·(s − E)), i.e. the game's log-likelihood is weighted. With every weight
/// 1 this is unmodified Glicko-2; with weight w a game moves the rating as a fraction of a
/// game would. The configured floors, ceilings and volatility bounds are applied last.
pub fn rate_period(
    player: Glicko2Rating,
    results: &[GameResult],
    config: &Glicko2Config,
) -> Glicko2Rating {
    let mu = (player.rating - CENTER) / SCALE;
    let phi = player.deviation / SCALE;

    let mut inverse_v = 0.0;
    let mut surprise = 0.0;
    for r in results.iter().filter(|r| r.weight > 0.0) {
        let mu_j = (r.opponent_rating - CENTER) / SCALE;
        let g_j = g(r.opponent_deviation / SCALE);
        let e = expectation(mu, mu_j, g_j);
        inverse_v += r.weight * g_j * g_j * e * (1.0 - e);
        surprise += r.weight * g_j * (r.score - e);
    }

    // inverse_v is 0 without weighted results, and also when every expectation is exactly 0 or
    // 1; both are "did not compete", for which Glickman only lets the deviation grow by σ.
    // NaN is not greater than zero either, so it also takes this branch.
    if inverse_v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        let grown = (phi * phi + player.volatility * player.volatility).sqrt();
        return bounded(
            Glicko2Rating {
                deviation: grown * SCALE,
                ..player
            },
            config,
        );
    }

    let v = 1.0 / inverse_v;
    let delta = v * surprise;
    let sigma = volatility::solve(
        &VolatilityInputs {
            sigma: player.volatility,
            phi,
            v,
            delta,
        },
        config.tau,
        config.convergence_tolerance,
        config.volatility_max_iterations,
    )
    .clamp(config.volatility_min, config.volatility_max);
    let phi_star2 = phi * phi + sigma * sigma;
    let phi_new = 1.0 / (1.0 / phi_star2 + inverse_v).sqrt();
    let mu_new = mu + phi_new * phi_new * surprise;

    bounded(
        Glicko2Rating {
            rating: mu_new * SCALE + CENTER,
            deviation: phi_new * SCALE,
            volatility: sigma,
        },
        config,
    )
}

/// Applies the rating floor and the deviation bounds.
fn bounded(r: Glicko2Rating, config: &Glicko2Config) -> Glicko2Rating {
    Glicko2Rating {
        rating: r.rating.max(config.rating_floor),
        deviation: r
            .deviation
            .clamp(config.deviation_floor, config.deviation_ceiling),
        volatility: r.volatility,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(rating: f64, deviation: f64, score: f64) -> GameResult {
        GameResult {
            opponent_rating: rating,
            opponent_deviation: deviation,
            score,
            weight: 1.0,
        }
    }

    fn glickman_player() -> Glicko2Rating {
        Glicko2Rating {
            rating: 1500.0,
            deviation: 200.0,
            volatility: 0.06,
        }
    }

    fn glickman_results() -> [GameResult; 3] {
        [
            game(1400.0, 30.0, 1.0),
            game(1550.0, 100.0, 0.0),
            game(1700.0, 300.0, 0.0),
        ]
    }

    /// Glickman, "Example of the Glicko-2 system" (2013): three games in one period.
    #[test]
    fn glickman_worked_example() {
        let config = Glicko2Config::default();
        let r = rate_period(glickman_player(), &glickman_results(), &config);
        assert!((r.rating - 1464.0507).abs() < 1e-3, "rating {}", r.rating);
        assert!(
            (r.deviation - 151.5165).abs() < 1e-3,
            "deviation {}",
            r.deviation
        );
        assert!(
            (r.volatility - 0.05999598).abs() < 1e-7,
            "volatility {}",
            r.volatility
        );
    }

    #[test]
    fn glickman_example_matches_skillratings() {
        use skillratings::Outcomes;
        use skillratings::glicko2::{Glicko2Config as SrConfig, Glicko2Rating as SrRating};
        let opponent = |r: f64, d: f64| SrRating {
            rating: r,
            deviation: d,
            volatility: 0.06,
        };
        let theirs = skillratings::glicko2::glicko2_rating_period(
            &SrRating {
                rating: 1500.0,
                deviation: 200.0,
                volatility: 0.06,
            },
            &[
                (opponent(1400.0, 30.0), Outcomes::WIN),
                (opponent(1550.0, 100.0), Outcomes::LOSS),
                (opponent(1700.0, 300.0), Outcomes::LOSS),
            ],
            &SrConfig::new(),
        );
        let ours = rate_period(
            glickman_player(),
            &glickman_results(),
            &Glicko2Config::default(),
        );
        assert!((ours.rating - theirs.rating).abs() < 1e-9);
        assert!((ours.deviation - theirs.deviation).abs() < 1e-9);
        assert!((ours.volatility - theirs.volatility).abs() < 1e-12);
    }

    #[test]
    fn weight_one_is_plain_glicko2_and_zero_is_no_game() {
        let config = Glicko2Config::default();
        let full = rate_period(glickman_player(), &glickman_results(), &config);
        let mut none = glickman_results();
        for r in &mut none {
            r.weight = 0.0;
        }
        let idle = rate_period(glickman_player(), &none, &config);
        assert_eq!(idle, rate_period(glickman_player(), &[], &config));
        assert!(full.rating < 1500.0);
    }

    #[test]
    fn empty_period_only_grows_deviation() {
        let config = Glicko2Config::default();
        let r = rate_period(glickman_player(), &[], &config);
        assert_eq!((r.rating, r.volatility), (1500.0, 0.06));
        let expected = ((200.0 / SCALE).powi(2) + 0.06f64.powi(2)).sqrt() * SCALE;
        assert!((r.deviation - expected).abs() < 1e-9);
    }

    #[test]
    fn bounds_are_applied() {
        let config = Glicko2Config::default();
        let weak = Glicko2Rating {
            rating: 101.0,
            deviation: 45.0,
            volatility: 0.06,
        };
        // Fifty losses in one period: the rating would fall far below 100 and the deviation
        // below 45 without the bounds.
        let losses = [game(101.0, 45.0, 0.0); 50];
        let r = rate_period(weak, &losses, &config);
        assert_eq!(r.rating, config.rating_floor);
        assert_eq!(r.deviation, config.deviation_floor);
        let unbounded = Glicko2Config {
            rating_floor: -1e9,
            deviation_floor: 1.0,
            ..Glicko2Config::default()
        };
        let r = rate_period(weak, &losses, &unbounded);
        assert!(r.rating < 100.0 && r.deviation < 45.0, "{r:?}");
        let wild = Glicko2Rating {
            rating: 1500.0,
            deviation: 350.0,
            volatility: 0.15,
        };
        let r = rate_period(wild, &[game(3000.0, 30.0, 1.0)], &config);
        assert!(r.volatility <= config.volatility_max);
        assert!(r.deviation <= config.deviation_ceiling);
    }

    #[test]
    fn inactivity_grows_deviation_to_the_ceiling() {
        let config = Glicko2Config::default();
        let settled = Glicko2Rating {
            rating: 1700.0,
            deviation: 45.0,
            volatility: 0.06,
        };
        assert_eq!(apply_inactivity(settled, 0, &config), settled);
        // The decided c = 25.8 brings a floor-RD player back at ~250 after a 91-day season.
        let after_season = apply_inactivity(settled, 91, &config);
        assert!(
            (after_season.deviation - 250.2).abs() < 0.1,
            "{after_season:?}"
        );
        let after_years = apply_inactivity(settled, 2000, &config);
        assert_eq!(after_years.deviation, 350.0);
        assert_eq!(after_years.rating, 1700.0);
    }

    /// The `[glicko2]` section of a `[rating]` section given as TOML text.
    fn glicko2(text: &str) -> Glicko2Config {
        crate::config::tests::parse(&format!("[glicko2]\n{text}")).glicko2
    }

    /// A settled player's upset win over a much stronger opponent: a surprise that pushes the
    /// volatility up.
    fn upset() -> (Glicko2Rating, [GameResult; 1]) {
        let settled = Glicko2Rating {
            rating: 1500.0,
            deviation: 60.0,
            volatility: 0.06,
        };
        (settled, [game(2300.0, 60.0, 1.0)])
    }

    #[test]
    fn a_larger_tau_lets_volatility_move_further() {
        let (player, results) = upset();
        let change = |config: &Glicko2Config| {
            (rate_period(player, &results, config).volatility - player.volatility).abs()
        };
        let default = change(&Glicko2Config::default());
        let large = change(&glicko2("tau = 1.2"));
        let small = change(&glicko2("tau = 0.3"));
        assert!(default > 0.0);
        assert!(
            large > default,
            "tau 1.2 moved {large}, tau 0.5 moved {default}"
        );
        assert!(
            small < default,
            "tau 0.3 moved {small}, tau 0.5 moved {default}"
        );
    }

    #[test]
    fn a_lower_deviation_ceiling_caps_inactivity_and_idle_growth() {
        let config = glicko2("deviation_ceiling = 200\ninitial_deviation = 200");
        let settled = Glicko2Rating {
            rating: 1700.0,
            deviation: 45.0,
            volatility: 0.06,
        };
        assert_eq!(apply_inactivity(settled, 2000, &config).deviation, 200.0);
        // An idle period grows the deviation by σ: to about 200.7 from 199 with σ = 0.15.
        let near = Glicko2Rating {
            deviation: 199.0,
            volatility: 0.15,
            ..settled
        };
        assert_eq!(rate_period(near, &[], &config).deviation, 200.0);
        // The default ceiling (350) lets both grow further.
        let default = Glicko2Config::default();
        assert!(apply_inactivity(settled, 2000, &default).deviation > 200.0);
        assert!(rate_period(near, &[], &default).deviation > 200.0);
    }

    #[test]
    fn volatility_bounds_clamp_the_updated_volatility() {
        // Glickman's example gives σ' ≈ 0.059996, inside the default bounds 0.01..0.15.
        let raised = glicko2("volatility_min = 0.07\ninitial_volatility = 0.07");
        let r = rate_period(glickman_player(), &glickman_results(), &raised);
        assert_eq!(r.volatility, 0.07);
        let lowered = glicko2("volatility_max = 0.05\ninitial_volatility = 0.04");
        let r = rate_period(glickman_player(), &glickman_results(), &lowered);
        assert_eq!(r.volatility, 0.05);
    }

    #[test]
    fn the_iteration_cap_and_tolerance_stop_the_volatility_search_early() {
        let reference = 0.059_995_98;
        let sigma = |config: &Glicko2Config| {
            rate_period(glickman_player(), &glickman_results(), config).volatility
        };
        let exact = sigma(&Glicko2Config::default());
        assert!((exact - reference).abs() < 1e-7, "{exact}");
        let capped = sigma(&glicko2("volatility_max_iterations = 1"));
        assert!((capped - reference).abs() > 1e-7, "{capped}");
        let loose = sigma(&glicko2("convergence_tolerance = 0.01"));
        assert!((loose - reference).abs() > 1e-7, "{loose}");
        assert!(loose.to_bits() != exact.to_bits() && capped.to_bits() != exact.to_bits());
    }

    #[test]
    fn inactivity_c_sets_how_fast_idle_deviation_grows() {
        let settled = Glicko2Rating {
            rating: 1700.0,
            deviation: 45.0,
            volatility: 0.06,
        };
        let default = apply_inactivity(settled, 91, &Glicko2Config::default()).deviation;
        let slow = apply_inactivity(settled, 91, &glicko2("inactivity_c = 10")).deviation;
        // sqrt(45² + 10²·91) = sqrt(11125) ≈ 105.5, against ≈ 250.2 with c = 25.8.
        assert!((slow - 11_125f64.sqrt()).abs() < 1e-9, "{slow}");
        assert!(slow < default - 100.0);
        let none = apply_inactivity(settled, 91, &glicko2("inactivity_c = 0")).deviation;
        assert_eq!(none, 45.0);
    }

    #[test]
    fn expected_score_is_symmetric() {
        let e = expected_score(1700.0, 80.0, 1500.0, 120.0);
        let f = expected_score(1500.0, 120.0, 1700.0, 80.0);
        assert!(e > 0.5);
        assert!((e + f - 1.0).abs() < 1e-12);
        assert_eq!(expected_score(1500.0, 200.0, 1500.0, 50.0), 0.5);
    }
}
