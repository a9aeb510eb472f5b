//! The whole ranking configuration as one serde struct: which algorithm, its parameters, and
//! the shared information-content, season, tier, leaderboard and matchmaking settings.

use serde::{Deserialize, Serialize};

use crate::elo::EloConfig;
use crate::error::ConfigError;
use crate::glicko2::Glicko2Config;
use crate::information::InformationConfig;
use crate::leaderboard::LeaderboardConfig;
use crate::matchmaking::MatchmakingConfig;
use crate::provider::{ELO, GLICKO2, WENG_LIN};
use crate::season::SeasonConfig;
use crate::tier::TierTable;
use crate::weng_lin::WengLinConfig;

/// Everything the ranking authority and matchmaker configure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RankingConfig {
    /// `algorithm_id` of the provider: "glicko2" (default), "elo" or "weng-lin".
    pub algorithm: String,
    /// Glicko-2 parameters.
    pub glicko2: Glicko2Config,
    /// Elo parameters.
    pub elo: EloConfig,
    /// Weng-Lin parameters.
    pub weng_lin: WengLinConfig,
    /// Information-content weights, shared by all algorithms.
    pub information: InformationConfig,
    /// Season schedule, reset and placement.
    pub season: SeasonConfig,
    /// Tier table of every game module without its own in `module_tiers`.
    pub tiers: TierTable,
    /// Tier tables of single game modules (`[rating.module_tiers.<module>]`), each replacing
    /// `tiers` whole for that module.
    pub module_tiers: std::collections::BTreeMap<String, TierTable>,
    /// Leaderboard minimums.
    pub leaderboard: LeaderboardConfig,
    /// Matchmaking windows and quality floor.
    pub matchmaking: MatchmakingConfig,
}

impl Default for RankingConfig {
    fn default() -> Self {
        Self {
            algorithm: GLICKO2.to_string(),
            glicko2: Glicko2Config::default(),
            elo: EloConfig::default(),
            weng_lin: WengLinConfig::default(),
            information: InformationConfig::default(),
            season: SeasonConfig::default(),
            tiers: TierTable::default(),
            module_tiers: std::collections::BTreeMap::new(),
            leaderboard: LeaderboardConfig::default(),
            matchmaking: MatchmakingConfig::default(),
        }
    }
}

impl RankingConfig {
    /// Validates every section, including the parameters of algorithms not selected, so that
    /// switching `algorithm` later cannot reveal a latent error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if ![GLICKO2, ELO, WENG_LIN].contains(&self.algorithm.as_str()) {
            return Err(ConfigError::UnknownAlgorithm(self.algorithm.clone()));
        }
        self.glicko2.validate()?;
        self.elo.validate()?;
        self.weng_lin.validate()?;
        self.information.validate()?;
        self.season.validate()?;
        self.tiers.validate()?;
        for table in self.module_tiers.values() {
            table.validate()?;
        }
        self.matchmaking.validate()
    }

    /// The tier table of `module`: its own, or the shared one.
    pub fn tiers_for(&self, module: &str) -> &TierTable {
        self.module_tiers.get(module).unwrap_or(&self.tiers)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses the text of a `[rating]` section (sub-tables written relative to it, e.g.
    /// `[glicko2]`) the way the server reads it, and checks that it validates, so that a test
    /// exercises the serde key names as well as the values.
    pub(crate) fn parse(text: &str) -> RankingConfig {
        let c: RankingConfig = toml::from_str(text).expect("test TOML parses");
        assert_eq!(c.validate(), Ok(()), "test config validates:\n{text}");
        c
    }

    #[test]
    fn defaults_validate_and_round_trip_through_toml() {
        let c = RankingConfig::default();
        assert_eq!(c.validate(), Ok(()));
        let text = toml::to_string(&c).unwrap();
        let back: RankingConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn partial_config_keeps_other_defaults() {
        let c: RankingConfig = toml::from_str(
            "algorithm = \"elo\"\n[glicko2]\ntau = 0.7\n[matchmaking]\nmax_range = 1000\n",
        )
        .unwrap();
        assert_eq!(c.algorithm, "elo");
        assert_eq!(c.glicko2.tau, 0.7);
        assert_eq!(c.glicko2.deviation_floor, 45.0);
        assert_eq!(c.matchmaking.max_range, 1000);
        assert_eq!(c.matchmaking.initial_range, 100);
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn module_tiers_replace_the_shared_table_for_their_module_only() {
        let c = parse(
            "[module_tiers.td]\n\
             tiers = [{ name = \"Bronze\", min_rating = 0, divisions = 1 },\n\
                      { name = \"Silver\", min_rating = 1400, divisions = 1 }]\n",
        );
        let td = c.tiers_for("td");
        assert_eq!(td.position(1_500_000, None).unwrap().display(), "Silver");
        // The module's table is used whole: no elite tier, even for the best player.
        assert_eq!(td.position(1_500_000, Some(1)).unwrap().display(), "Silver");
        // Other modules keep the shared (default) table.
        assert_eq!(c.tiers_for("ra"), &c.tiers);
        assert_eq!(
            c.tiers_for("ra")
                .position(1_500_000, None)
                .unwrap()
                .display(),
            "Major II"
        );
        // Without module tables every module gets the shared one.
        let d = RankingConfig::default();
        assert_eq!(d.tiers_for("td"), &d.tiers);
    }

    #[test]
    fn unknown_algorithm_and_nested_errors_surface() {
        let c = RankingConfig {
            algorithm: "trueskill".into(),
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::UnknownAlgorithm(_))
        ));
        let mut c = RankingConfig::default();
        c.season.soft_reset_factor = 2000;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::OutOfRange {
                key: "season.soft_reset_factor",
                ..
            })
        ));
    }
}
