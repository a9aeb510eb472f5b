//! Leaderboard eligibility: a player is listed only after enough rated matches against enough
//! different opponents, which keeps win-traded and fresh accounts off the board.

use serde::{Deserialize, Serialize};

/// Minimums for appearing on the leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeaderboardConfig {
    /// Rated matches required.
    pub min_matches: u32,
    /// Distinct opponents required.
    pub min_distinct_opponents: u32,
}

impl Default for LeaderboardConfig {
    fn default() -> Self {
        Self {
            min_matches: 5,
            min_distinct_opponents: 5,
        }
    }
}

impl LeaderboardConfig {
    /// True when both minimums are met.
    pub fn is_eligible(&self, matches_played: u32, distinct_opponents: u32) -> bool {
        matches_played >= self.min_matches && distinct_opponents >= self.min_distinct_opponents
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligibility_boundaries() {
        let c = LeaderboardConfig::default();
        assert!(!c.is_eligible(4, 5));
        assert!(!c.is_eligible(5, 4));
        assert!(c.is_eligible(5, 5));
        assert!(c.is_eligible(50, 7));
    }

    /// The `[leaderboard]` section of a `[rating]` section given as TOML text.
    fn configured(text: &str) -> LeaderboardConfig {
        crate::config::tests::parse(&format!("[leaderboard]\n{text}")).leaderboard
    }

    #[test]
    fn min_matches_sets_the_matches_required() {
        let c = configured("min_matches = 20");
        assert!(!c.is_eligible(19, 5));
        assert!(c.is_eligible(20, 5));
        assert!(LeaderboardConfig::default().is_eligible(19, 5));
    }

    #[test]
    fn min_distinct_opponents_sets_the_opponents_required() {
        let c = configured("min_distinct_opponents = 2");
        assert!(c.is_eligible(5, 2));
        assert!(!c.is_eligible(5, 1));
        assert!(!LeaderboardConfig::default().is_eligible(5, 2));
    }
}
