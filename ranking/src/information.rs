//! Information content of a match (0–1000): how much of a full rating update it deserves,
//! from mode, team balance, duration and rematch decay.

use serde::{Deserialize, Serialize};

use crate::description::{MatchDescription, MatchMode};
use crate::error::{ConfigError, check_range};

/// Full weight in permille.
pub const FULL: u32 = 1000;

/// Weights that scale a match's effect on ratings. All weights are permille (0–1000) so that
/// the product is computed in integers and is identical everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InformationConfig {
    /// Weight of a ranked match.
    pub ranked_weight: u32,
    /// Weight of a casual match.
    pub casual_weight: u32,
    /// Weight when the teams have different numbers of players (1v2 and the like).
    pub uneven_teams_weight: u32,
    /// Matches shorter than this (seconds of game time) count at `short_game_weight`.
    pub min_duration_secs: u32,
    /// Matches at least this long count fully; in between the weight rises linearly from
    /// `short_game_weight` to 1000.
    pub full_weight_duration_secs: u32,
    /// Weight of a match shorter than `min_duration_secs`. 0 reproduces the server guide's
    /// "short games do not affect ratings".
    pub short_game_weight: u32,
    /// Window in which earlier meetings of the same players count as rematches. The crate does
    /// not read it: the caller counts meetings within it into `prior_meetings`.
    pub rematch_window_secs: u32,
    /// Weight of a match the relay certified as degraded (it lost the whole match's
    /// connectivity). 0, the reference's default policy, voids it: not rated at all. The
    /// reference's "50% information" option is 500. The crate does not read it either: the
    /// caller voids the match or passes it as `external_weight`.
    pub degraded_weight: u32,
}

impl Default for InformationConfig {
    fn default() -> Self {
        Self {
            ranked_weight: 1000,
            casual_weight: 500,
            uneven_teams_weight: 300,
            min_duration_secs: 180,
            full_weight_duration_secs: 900,
            short_game_weight: 300,
            rematch_window_secs: 86_400,
            degraded_weight: 0,
        }
    }
}

impl InformationConfig {
    /// Checks every weight is within 0–1000 and the duration bounds are ordered.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let permille = "0..=1000";
        for (key, value) in [
            ("information.ranked_weight", self.ranked_weight),
            ("information.casual_weight", self.casual_weight),
            ("information.uneven_teams_weight", self.uneven_teams_weight),
            ("information.short_game_weight", self.short_game_weight),
            ("information.degraded_weight", self.degraded_weight),
        ] {
            check_range(key, value, value <= FULL, permille)?;
        }
        if self.full_weight_duration_secs < self.min_duration_secs {
            return Err(ConfigError::Inconsistent {
                first: "information.min_duration_secs",
                second: "information.full_weight_duration_secs",
                why: "the full-weight duration must not be below the minimum duration",
            });
        }
        Ok(())
    }

    /// Weight of the match's mode.
    pub fn mode_weight(&self, mode: MatchMode) -> u32 {
        match mode {
            MatchMode::Ranked => self.ranked_weight,
            MatchMode::Casual => self.casual_weight,
        }
    }

    /// Weight of the team sizes: full when all teams have the same number of players.
    pub fn balance_weight(&self, team_sizes: impl IntoIterator<Item = usize>) -> u32 {
        let mut sizes = team_sizes.into_iter();
        let first = sizes.next();
        if sizes.all(|s| Some(s) == first) {
            FULL
        } else {
            self.uneven_teams_weight
        }
    }

    /// Weight of the duration. Compared in milliseconds of game time so that any tick rate
    /// works without floating point.
    pub fn duration_weight(&self, duration_ticks: u64, tick_rate: u32) -> u32 {
        if tick_rate == 0 {
            return 0;
        }
        let played_ms = u128::from(duration_ticks) * 1000 / u128::from(tick_rate);
        let min_ms = u128::from(self.min_duration_secs) * 1000;
        let full_ms = u128::from(self.full_weight_duration_secs) * 1000;
        if played_ms < min_ms {
            return self.short_game_weight;
        }
        if played_ms >= full_ms {
            return FULL;
        }
        // Here min_ms <= played_ms < full_ms, so full_ms > min_ms and the span is positive.
        let low = u128::from(self.short_game_weight.min(FULL));
        let span = full_ms - min_ms;
        let rise = (u128::from(FULL) - low) * (played_ms - min_ms) / span;
        (low + rise) as u32
    }

    /// Rematch decay: each earlier meeting in the window halves the weight (0.5^n).
    pub fn rematch_weight(&self, prior_meetings: u32) -> u32 {
        FULL.checked_shr(prior_meetings).unwrap_or(0)
    }

    /// Product of all weights, and the description's external weight, in permille, rounded
    /// down at each step.
    pub fn information_content(&self, m: &MatchDescription) -> u32 {
        [
            self.balance_weight(m.teams.iter().map(|t| t.players.len())),
            self.duration_weight(m.duration_ticks, m.tick_rate),
            self.rematch_weight(m.prior_meetings),
            m.external_weight,
        ]
        .into_iter()
        .fold(self.mode_weight(m.mode).min(FULL), |acc, w| {
            acc * w.min(FULL) / FULL
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::tests::{duel, player};

    #[test]
    fn defaults_validate() {
        assert_eq!(InformationConfig::default().validate(), Ok(()));
    }

    #[test]
    fn invalid_configs_are_rejected() {
        let c = InformationConfig {
            casual_weight: 1001,
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::OutOfRange {
                key: "information.casual_weight",
                ..
            })
        ));
        let c = InformationConfig {
            min_duration_secs: 901,
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Inconsistent { .. })
        ));
    }

    #[test]
    fn duration_weight_at_its_boundaries() {
        let c = InformationConfig::default();
        // 15 ticks/s: 180 s = 2700 ticks, 900 s = 13500 ticks.
        assert_eq!(c.duration_weight(2699, 15), 300);
        assert_eq!(c.duration_weight(2700, 15), 300);
        assert_eq!(c.duration_weight(8100, 15), 650);
        assert_eq!(c.duration_weight(13_499, 15), 999);
        assert_eq!(c.duration_weight(13_500, 15), 1000);
        // Same game time at a different tick rate gives the same weight.
        assert_eq!(c.duration_weight(16_200, 30), 650);
    }

    #[test]
    fn rematch_decay_halves() {
        let c = InformationConfig::default();
        assert_eq!(c.rematch_weight(0), 1000);
        assert_eq!(c.rematch_weight(1), 500);
        assert_eq!(c.rematch_weight(2), 250);
        assert_eq!(c.rematch_weight(40), 0);
    }

    /// The `[information]` section of a `[rating]` section given as TOML text.
    fn configured(text: &str) -> InformationConfig {
        crate::config::tests::parse(&format!("[information]\n{text}")).information
    }

    #[test]
    fn mode_weights_scale_ranked_and_casual_matches() {
        let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
        let ranked = configured("ranked_weight = 600");
        assert_eq!(ranked.information_content(&m), 600);
        assert_eq!(InformationConfig::default().information_content(&m), 1000);
        m.mode = MatchMode::Casual;
        let casual = configured("casual_weight = 800");
        assert_eq!(casual.information_content(&m), 800);
        assert_eq!(InformationConfig::default().information_content(&m), 500);
    }

    #[test]
    fn uneven_teams_weight_scales_uneven_matches_only() {
        let c = configured("uneven_teams_weight = 900");
        let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
        assert_eq!(c.information_content(&m), 1000);
        m.teams[0].players.push(player(3, 1500, 100));
        assert_eq!(c.information_content(&m), 900);
        assert_eq!(InformationConfig::default().information_content(&m), 300);
    }

    #[test]
    fn short_game_weight_zero_keeps_short_games_from_counting() {
        let c = configured("short_game_weight = 0");
        // 60 s at 15 ticks/s is below the default 180 s minimum.
        assert_eq!(c.duration_weight(900, 15), 0);
        assert_eq!(InformationConfig::default().duration_weight(900, 15), 300);
        let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
        m.duration_ticks = 900;
        assert_eq!(c.information_content(&m), 0);
        // The ramp from the minimum to full weight now starts at 0: halfway is 500.
        assert_eq!(c.duration_weight(8100, 15), 500);
    }

    #[test]
    fn duration_thresholds_move_where_the_weight_ramps() {
        // 120 s: short by default (300); with a 60 s minimum it is on the ramp,
        // 300 + 700 · (120 − 60) / (900 − 60) = 350.
        let early = configured("min_duration_secs = 60");
        assert_eq!(early.duration_weight(1800, 15), 350);
        assert_eq!(InformationConfig::default().duration_weight(1800, 15), 300);
        // 600 s: on the default ramp (708); full weight from 600 s.
        let full = configured("full_weight_duration_secs = 600");
        assert_eq!(full.duration_weight(9000, 15), 1000);
        assert_eq!(full.duration_weight(8999, 15), 999);
        assert_eq!(InformationConfig::default().duration_weight(9000, 15), 708);
    }

    #[test]
    fn weights_multiply() {
        let c = InformationConfig::default();
        let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
        assert_eq!(c.information_content(&m), 1000);
        m.mode = MatchMode::Casual;
        m.prior_meetings = 1;
        assert_eq!(c.information_content(&m), 250);
        m.teams[0].players.push(player(3, 1500, 100));
        assert_eq!(c.information_content(&m), 75);
        m.external_weight = 500;
        assert_eq!(c.information_content(&m), 37);
        m.external_weight = 5000;
        assert_eq!(c.information_content(&m), 75);
    }
}
