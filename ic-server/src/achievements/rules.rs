//! Which achievements a rated match earns: the configured rules applied to a player's season
//! counters after the match. Pure; the authority checks which of these the player already holds.

use crate::config::{AchievementDefinition, AchievementRule};

/// A player's counters in one module right after a rated match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Whether this match was a win.
    pub won: bool,
    /// Wins this season, this match included.
    pub season_wins: u32,
    /// Rated games this season, this match included.
    pub season_games: u32,
    /// The streak after the match (positive: wins in a row).
    pub streak: i16,
    /// The running season.
    pub season: u32,
}

/// An achievement the match earns, under the id its record carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earned<'a> {
    /// The id in the record.
    pub record_id: String,
    /// What it is.
    pub definition: &'a AchievementDefinition,
}

/// The id a definition's record carries in `season`: per-season achievements name the season
/// so each season's is a separate achievement (the wallet keeps one row per id and module).
pub fn record_id(definition: &AchievementDefinition, season: u32) -> String {
    if definition.per_season {
        format!("{}@s{season}", definition.id)
    } else {
        definition.id.clone()
    }
}

/// The definition id a record id belongs to (`season_regular@s3` → `season_regular`).
pub fn definition_id(record_id: &str) -> &str {
    match record_id.rsplit_once("@s") {
        Some((id, season)) if !season.is_empty() && season.bytes().all(|b| b.is_ascii_digit()) => {
            id
        }
        _ => record_id,
    }
}

/// Every achievement among `definitions` whose rule the counters meet in `module`. A rule is
/// met from its threshold on (not only when the threshold is crossed), so an achievement added
/// to the configuration later is earned at the player's next match.
pub fn earned<'a>(
    definitions: &'a [AchievementDefinition],
    rated_modules: &[String],
    module: &str,
    progress: &Progress,
) -> Vec<Earned<'a>> {
    definitions
        .iter()
        .filter(|definition| definition.applies_to(module, rated_modules))
        .filter(|definition| met(definition, progress))
        .map(|definition| Earned {
            record_id: record_id(definition, progress.season),
            definition,
        })
        .collect()
}

fn met(definition: &AchievementDefinition, progress: &Progress) -> bool {
    match definition.rule {
        AchievementRule::FirstWin => progress.won,
        AchievementRule::SeasonWins => progress.season_wins >= definition.count,
        AchievementRule::WinStreak => {
            progress.streak > 0 && progress.streak.unsigned_abs() as u32 >= definition.count
        }
        AchievementRule::SeasonGames => progress.season_games >= definition.count,
        AchievementRule::Claim => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AchievementsConfig;

    fn progress(won: bool, wins: u32, games: u32, streak: i16) -> Progress {
        Progress {
            won,
            season_wins: wins,
            season_games: games,
            streak,
            season: 3,
        }
    }

    fn ids(earned: &[Earned<'_>]) -> Vec<String> {
        earned.iter().map(|e| e.record_id.clone()).collect()
    }

    #[test]
    fn default_rules_fire_at_their_thresholds() {
        let config = AchievementsConfig::default();
        let modules = vec!["ra".to_owned()];
        let at = |p| ids(&earned(&config.definitions, &modules, "ra", &p));
        assert!(at(progress(false, 0, 1, -1)).is_empty());
        assert_eq!(at(progress(true, 1, 1, 1)), ["first_win"]);
        assert_eq!(at(progress(true, 9, 24, 4)), ["first_win"]);
        assert_eq!(
            at(progress(true, 10, 25, 5)),
            ["first_win", "ten_wins", "streak_5", "season_regular@s3"]
        );
        // A loss keeps the counters that were met, but not the win-only rules.
        assert_eq!(
            at(progress(false, 10, 26, -1)),
            ["ten_wins", "season_regular@s3"]
        );
        // Another module is not rated.
        assert!(
            ids(&earned(
                &config.definitions,
                &modules,
                "td",
                &progress(true, 1, 1, 1)
            ))
            .is_empty()
        );
    }

    #[test]
    fn module_lists_and_claims() {
        let mut config = AchievementsConfig::default();
        config.definitions[0].game_modules = vec!["td".into()];
        config.definitions[1].rule = AchievementRule::Claim;
        let modules = vec!["ra".to_owned(), "td".to_owned()];
        let p = progress(true, 10, 1, 1);
        assert!(ids(&earned(&config.definitions, &modules, "ra", &p)).is_empty());
        assert_eq!(
            ids(&earned(&config.definitions, &modules, "td", &p)),
            ["first_win"]
        );
    }

    #[test]
    fn record_ids_map_back_to_definitions() {
        assert_eq!(definition_id("season_regular@s3"), "season_regular");
        assert_eq!(definition_id("first_win"), "first_win");
        assert_eq!(definition_id("odd@sx"), "odd@sx");
        assert_eq!(definition_id("odd@s"), "odd@s");
    }
}
