//! Every Glicko-2 parameter, with the reference defaults, as a serde struct that rejects
//! out-of-range values with a typed error.

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, check_range};
use crate::team::TeamRatingMethod;

/// Glicko-2 parameters. Ratings and deviations are in rating points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Glicko2Config {
    /// Rating of a new player.
    pub initial_rating: f64,
    /// Deviation of a new player.
    pub initial_deviation: f64,
    /// Volatility of a new player.
    pub initial_volatility: f64,
    /// System constant τ: how fast volatility may change (Glickman: 0.3–1.2).
    pub tau: f64,
    /// Deviation never falls below this after an update, so ratings keep moving.
    pub deviation_floor: f64,
    /// Deviation never rises above this (a brand-new player's uncertainty).
    pub deviation_ceiling: f64,
    /// Rating never falls below this. There is no ceiling.
    pub rating_floor: f64,
    /// Lower bound of volatility after an update.
    pub volatility_min: f64,
    /// Upper bound of volatility after an update.
    pub volatility_max: f64,
    /// Cap on iterations of the volatility root finder (bracketing plus Illinois steps), so a
    /// pathological input costs bounded time.
    pub volatility_max_iterations: u32,
    /// Convergence tolerance ε of the volatility root finder.
    pub convergence_tolerance: f64,
    /// Inactivity constant c: before a match, RD = sqrt(RD² + c²·t) for t idle periods.
    pub inactivity_c: f64,
    /// Length of one inactivity period in seconds (the caller turns timestamps into periods).
    pub inactivity_period_secs: u32,
    /// How the opposing team is combined into one opponent.
    pub team_rating_method: TeamRatingMethod,
    /// Deviation above which a rating is shown as provisional.
    pub provisional_deviation: f64,
}

impl Default for Glicko2Config {
    fn default() -> Self {
        Self {
            initial_rating: 1500.0,
            initial_deviation: 350.0,
            initial_volatility: 0.06,
            tau: 0.5,
            deviation_floor: 45.0,
            deviation_ceiling: 350.0,
            rating_floor: 100.0,
            volatility_min: 0.01,
            volatility_max: 0.15,
            volatility_max_iterations: 100,
            convergence_tolerance: 0.000_001,
            inactivity_c: 25.8,
            inactivity_period_secs: 86_400,
            team_rating_method: TeamRatingMethod::WeightedAverage,
            provisional_deviation: 110.0,
        }
    }
}

impl Glicko2Config {
    /// Checks each value against its range and the floors against their ceilings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let r = |x: f64| x.is_finite() && (-1e9..=1e9).contains(&x);
        check_range(
            "glicko2.initial_rating",
            self.initial_rating,
            r(self.initial_rating),
            "finite, |x| <= 1e9",
        )?;
        check_range(
            "glicko2.rating_floor",
            self.rating_floor,
            r(self.rating_floor),
            "finite, |x| <= 1e9",
        )?;
        check_range(
            "glicko2.tau",
            self.tau,
            self.tau > 0.0 && self.tau <= 5.0,
            "0 < tau <= 5 (Glickman suggests 0.3-1.2)",
        )?;
        for (key, value) in [
            ("glicko2.deviation_floor", self.deviation_floor),
            ("glicko2.deviation_ceiling", self.deviation_ceiling),
            ("glicko2.initial_deviation", self.initial_deviation),
        ] {
            check_range(
                key,
                value,
                value > 0.0 && value <= 10_000.0,
                "0 < x <= 10000",
            )?;
        }
        for (key, value) in [
            ("glicko2.volatility_min", self.volatility_min),
            ("glicko2.volatility_max", self.volatility_max),
            ("glicko2.initial_volatility", self.initial_volatility),
        ] {
            check_range(key, value, value > 0.0 && value <= 1.0, "0 < x <= 1")?;
        }
        check_range(
            "glicko2.volatility_max_iterations",
            self.volatility_max_iterations,
            (1..=10_000).contains(&self.volatility_max_iterations),
            "1..=10000",
        )?;
        check_range(
            "glicko2.convergence_tolerance",
            self.convergence_tolerance,
            self.convergence_tolerance > 0.0 && self.convergence_tolerance <= 0.01,
            "0 < x <= 0.01",
        )?;
        check_range(
            "glicko2.inactivity_c",
            self.inactivity_c,
            self.inactivity_c >= 0.0 && self.inactivity_c <= 1000.0,
            "0 <= c <= 1000",
        )?;
        check_range(
            "glicko2.inactivity_period_secs",
            self.inactivity_period_secs,
            self.inactivity_period_secs > 0,
            "> 0",
        )?;
        check_range(
            "glicko2.provisional_deviation",
            self.provisional_deviation,
            self.provisional_deviation >= 0.0 && self.provisional_deviation.is_finite(),
            ">= 0",
        )?;
        ordered(
            "glicko2.deviation_floor",
            self.deviation_floor,
            "glicko2.initial_deviation",
            self.initial_deviation,
        )?;
        ordered(
            "glicko2.initial_deviation",
            self.initial_deviation,
            "glicko2.deviation_ceiling",
            self.deviation_ceiling,
        )?;
        ordered(
            "glicko2.volatility_min",
            self.volatility_min,
            "glicko2.initial_volatility",
            self.initial_volatility,
        )?;
        ordered(
            "glicko2.initial_volatility",
            self.initial_volatility,
            "glicko2.volatility_max",
            self.volatility_max,
        )?;
        ordered(
            "glicko2.rating_floor",
            self.rating_floor,
            "glicko2.initial_rating",
            self.initial_rating,
        )
    }
}

fn ordered(
    first: &'static str,
    low: f64,
    second: &'static str,
    high: f64,
) -> Result<(), ConfigError> {
    if low <= high {
        Ok(())
    } else {
        Err(ConfigError::Inconsistent {
            first,
            second,
            why: "the first must not exceed the second",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_values_and_validate() {
        let c = Glicko2Config::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(
            (c.initial_rating, c.initial_deviation, c.tau),
            (1500.0, 350.0, 0.5)
        );
        assert_eq!((c.deviation_floor, c.deviation_ceiling), (45.0, 350.0));
        assert_eq!((c.volatility_min, c.volatility_max), (0.01, 0.15));
        assert_eq!((c.rating_floor, c.volatility_max_iterations), (100.0, 100));
    }

    #[test]
    fn out_of_range_values_are_typed_errors() {
        let c = Glicko2Config {
            tau: 0.0,
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::OutOfRange {
                key: "glicko2.tau",
                ..
            })
        ));
        let c = Glicko2Config {
            tau: f64::NAN,
            ..Default::default()
        };
        assert!(c.validate().is_err());
        let c = Glicko2Config {
            deviation_floor: 400.0,
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Inconsistent {
                first: "glicko2.deviation_floor",
                ..
            })
        ));
        let c = Glicko2Config {
            volatility_max_iterations: 0,
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn partial_toml_fills_in_defaults() {
        let c: Glicko2Config = toml::from_str("tau = 0.7\ndeviation_floor = 60").unwrap();
        assert_eq!(c.tau, 0.7);
        assert_eq!(c.deviation_floor, 60.0);
        assert_eq!(c.initial_rating, 1500.0);
        assert_eq!(c.team_rating_method, TeamRatingMethod::WeightedAverage);
        let c: Glicko2Config = toml::from_str("team_rating_method = \"max_rating\"").unwrap();
        assert_eq!(c.team_rating_method, TeamRatingMethod::MaxRating);
    }
}
