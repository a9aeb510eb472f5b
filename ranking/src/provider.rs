//! The `RankingProvider` trait that the ranking authority calls, its match-quality result, and
//! selection of an implementation by `algorithm_id`.

use crate::config::RankingConfig;
use crate::description::{MatchDescription, PlayerId, PlayerRating};
use crate::elo::EloProvider;
use crate::error::{ConfigError, MatchError};
use crate::glicko2::Glicko2Provider;
use crate::quality::MatchQuality;
use crate::weng_lin::WengLinProvider;

/// A rating algorithm. Implementations are pure: the same description gives bit-identical
/// ratings. Ratings produced by different `algorithm_id`s must never be mixed.
pub trait RankingProvider: Send + Sync {
    /// Stable identifier stored in every rating record.
    fn algorithm_id(&self) -> &'static str;

    /// Rating of a player with no history.
    fn initial_rating(&self, player_id: PlayerId) -> PlayerRating;

    /// New ratings of every participant, in the order they appear in `m` (team by team).
    /// Remade and desync-terminated matches return the input ratings unchanged; check
    /// [`MatchDescription::is_rated`] to decide whether to issue records.
    fn update_ratings(&self, m: &MatchDescription) -> Result<Vec<PlayerRating>, MatchError>;

    /// Probability (0–1000) that `team_a` beats `team_b`.
    fn expected_score(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> i32;

    /// Quality of a proposed pairing or team split. Empty teams give all zeros.
    fn match_quality(&self, team_a: &[PlayerRating], team_b: &[PlayerRating]) -> MatchQuality;

    /// Human-readable rating, for example "1500 ± 350".
    fn display_rating(&self, rating: &PlayerRating) -> String;

    /// True while the rating is too uncertain to be taken at face value.
    fn is_provisional(&self, rating: &PlayerRating) -> bool;
}

/// Algorithm identifier of Glicko-2 (the default).
pub const GLICKO2: &str = "glicko2";
/// Algorithm identifier of Elo.
pub const ELO: &str = "elo";
/// Algorithm identifier of Weng-Lin (OpenSkill).
pub const WENG_LIN: &str = "weng-lin";

/// Builds the provider that `config.algorithm` names, after validating its configuration.
pub fn provider_for(config: &RankingConfig) -> Result<Box<dyn RankingProvider>, ConfigError> {
    let information = config.information.clone();
    match config.algorithm.as_str() {
        GLICKO2 => Ok(Box::new(Glicko2Provider::new(
            config.glicko2.clone(),
            information,
        )?)),
        ELO => Ok(Box::new(EloProvider::new(config.elo.clone(), information)?)),
        WENG_LIN => Ok(Box::new(WengLinProvider::new(
            config.weng_lin.clone(),
            information,
        )?)),
        other => Err(ConfigError::UnknownAlgorithm(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_selected_by_id() {
        for id in [GLICKO2, ELO, WENG_LIN] {
            let config = RankingConfig {
                algorithm: id.to_string(),
                ..Default::default()
            };
            assert_eq!(
                provider_for(&config).map(|p| p.algorithm_id()).ok(),
                Some(id)
            );
        }
        let config = RankingConfig {
            algorithm: "trueskill".to_string(),
            ..Default::default()
        };
        assert_eq!(
            provider_for(&config).err(),
            Some(ConfigError::UnknownAlgorithm("trueskill".into()))
        );
    }

    #[test]
    fn default_provider_is_glicko2() {
        let p = provider_for(&RankingConfig::default()).unwrap();
        assert_eq!(p.algorithm_id(), GLICKO2);
    }
}
