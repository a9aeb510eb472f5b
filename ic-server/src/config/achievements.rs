//! `[achievements]`: the achievements this community awards, the rule each is earned by, and
//! the policy for achievements a client claims (single-player progress the relay never sees).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// Achievements and their issuing policy (used by the ranking capability).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AchievementsConfig {
    /// How achievements a client claims (rule `claim`) are treated.
    pub policy: AchievementPolicy,
    /// Hours an optimistic claim stays open to a moderator's challenge before it is upgraded
    /// to verified, 1–8760.
    pub challenge_window_hours: u32,
    /// The achievements awarded.
    pub definitions: Vec<AchievementDefinition>,
}

impl Default for AchievementsConfig {
    fn default() -> Self {
        let earned = |id: &str, name: &str, rule, count| AchievementDefinition {
            id: id.into(),
            name: name.into(),
            rule,
            count,
            game_modules: Vec::new(),
            per_season: false,
        };
        Self {
            policy: AchievementPolicy::RelayAttested,
            challenge_window_hours: 72,
            definitions: vec![
                earned("first_win", "First victory", AchievementRule::FirstWin, 1),
                earned(
                    "ten_wins",
                    "Ten wins in a season",
                    AchievementRule::SeasonWins,
                    10,
                ),
                earned(
                    "streak_5",
                    "Five wins in a row",
                    AchievementRule::WinStreak,
                    5,
                ),
                AchievementDefinition {
                    per_season: true,
                    ..earned(
                        "season_regular",
                        "25 games in a season",
                        AchievementRule::SeasonGames,
                        25,
                    )
                },
            ],
        }
    }
}

/// Who vouches for a claimed achievement (the reference design's `AchievementPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AchievementPolicy {
    /// Only achievements earned in relay-certified matches are issued; claims are refused.
    RelayAttested,
    /// Claims are issued as `optimistic` and re-issued as `verified` when the challenge window
    /// passes without a moderator's challenge.
    Optimistic,
    /// Claims are issued as `optimistic` on the client's word and stay so (never upgraded:
    /// the server signs only what it checked as verified).
    TrustClient,
}

impl AchievementPolicy {
    /// The name used in the configuration and the API.
    pub fn name(self) -> &'static str {
        match self {
            Self::RelayAttested => "relay_attested",
            Self::Optimistic => "optimistic",
            Self::TrustClient => "trust_client",
        }
    }
}

/// How an achievement is earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AchievementRule {
    /// The first rated win in the module.
    FirstWin,
    /// `count` rated wins within one season.
    SeasonWins,
    /// `count` rated wins in a row.
    WinStreak,
    /// `count` rated games within one season.
    SeasonGames,
    /// Claimed by the client (e.g. single-player progress), issued under `policy`.
    Claim,
}

impl AchievementRule {
    /// The name used in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::FirstWin => "first_win",
            Self::SeasonWins => "season_wins",
            Self::WinStreak => "win_streak",
            Self::SeasonGames => "season_games",
            Self::Claim => "claim",
        }
    }

    /// Whether a certified match can earn it (every rule but `claim`).
    pub fn from_matches(self) -> bool {
        self != Self::Claim
    }
}

/// One achievement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AchievementDefinition {
    /// Identifier in the records: 1–48 of `a-z`, `0-9`, `_`, `-`.
    pub id: String,
    /// Name shown to players, 1–64 characters.
    pub name: String,
    /// How it is earned.
    pub rule: AchievementRule,
    /// The threshold of `season_wins`, `win_streak` and `season_games` (1–100000).
    #[serde(default = "one")]
    pub count: u32,
    /// Game modules it is awarded in; empty: every module in `ranking.game_modules`.
    #[serde(default)]
    pub game_modules: Vec<String>,
    /// `season_wins`/`season_games` only: earned again every season (its record id then ends
    /// in `@s<season>`).
    #[serde(default)]
    pub per_season: bool,
}

fn one() -> u32 {
    1
}

impl AchievementDefinition {
    /// Whether it is awarded in `module`.
    pub fn applies_to(&self, module: &str, rated: &[String]) -> bool {
        if self.game_modules.is_empty() {
            rated.iter().any(|m| m == module)
        } else {
            self.game_modules.iter().any(|m| m == module)
        }
    }
}

impl AchievementsConfig {
    /// Checks ids, names, counts and modules; the error names the definition.
    pub fn validate(&self, rated_modules: &[String]) -> Result<(), InvalidValue> {
        super::range(
            "achievements.challenge_window_hours",
            self.challenge_window_hours,
            1,
            8760,
        )?;
        let mut ids = BTreeSet::new();
        for definition in &self.definitions {
            let invalid = |problem: String| InvalidValue {
                key: format!("achievements.definitions ({})", definition.id),
                problem,
            };
            let id_ok = (1..=48).contains(&definition.id.len())
                && definition.id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !id_ok {
                return Err(invalid(
                    "id must be 1-48 characters of a-z, 0-9, '_' and '-'".into(),
                ));
            }
            if !ids.insert(definition.id.as_str()) {
                return Err(invalid("id is used twice".into()));
            }
            if !(1..=64).contains(&definition.name.chars().count()) {
                return Err(invalid("name must be 1-64 characters".into()));
            }
            if !(1..=100_000).contains(&definition.count) {
                return Err(invalid(format!(
                    "count {} is outside 1..=100000",
                    definition.count
                )));
            }
            let seasonal = matches!(
                definition.rule,
                AchievementRule::SeasonWins | AchievementRule::SeasonGames
            );
            if definition.per_season && !seasonal {
                return Err(invalid(format!(
                    "per_season applies to season_wins and season_games, not {}",
                    definition.rule.name()
                )));
            }
            if let Some(module) = definition
                .game_modules
                .iter()
                .find(|m| !rated_modules.contains(m))
            {
                return Err(invalid(format!(
                    "game module {module:?} is missing from ranking.game_modules"
                )));
            }
        }
        Ok(())
    }

    /// The definition with `id`.
    pub fn definition(&self, id: &str) -> Option<&AchievementDefinition> {
        self.definitions.iter().find(|d| d.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules() -> Vec<String> {
        vec!["ra".into()]
    }

    #[test]
    fn defaults_are_valid() {
        AchievementsConfig::default().validate(&modules()).unwrap();
    }

    #[test]
    fn bad_definitions_name_the_definition() {
        let mut config = AchievementsConfig::default();
        config.definitions[1].id = "first_win".into();
        let error = config.validate(&modules()).unwrap_err();
        assert_eq!(error.key, "achievements.definitions (first_win)");
        assert!(error.problem.contains("twice"));

        let mut config = AchievementsConfig::default();
        config.definitions[0].id = "First Win".into();
        assert!(config.validate(&modules()).is_err());

        let mut config = AchievementsConfig::default();
        config.definitions[0].per_season = true;
        assert!(
            config
                .validate(&modules())
                .unwrap_err()
                .problem
                .contains("per_season")
        );

        let mut config = AchievementsConfig::default();
        config.definitions[2].game_modules = vec!["td".into()];
        assert!(
            config
                .validate(&modules())
                .unwrap_err()
                .problem
                .contains("td")
        );

        let mut config = AchievementsConfig::default();
        config.definitions[2].count = 0;
        assert!(config.validate(&modules()).is_err());
    }
}
