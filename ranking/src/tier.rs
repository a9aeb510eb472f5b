//! Tiers: a configured table of named rating bands, each split into divisions, mapping a rating
//! to "Captain II"; plus an optional elite tier for the top N of the leaderboard.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::fixed::RATING_SCALE;

/// Roman numerals for division names; ten divisions are the most a tier may have.
const ROMAN: [&str; 10] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];

/// One row of the tier table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Display name.
    pub name: String,
    /// Lowest rating (whole points) in this tier.
    pub min_rating: i64,
    /// Number of divisions (1–10). The band up to the next tier is split evenly; the last tier
    /// has no upper bound and therefore exactly one division.
    pub divisions: u8,
}

/// A tier reserved for the best `count` players on the leaderboard, whatever their rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EliteTier {
    /// Display name.
    pub name: String,
    /// Leaderboard positions 1..=count qualify.
    pub count: u32,
}

/// The tier table, ascending by `min_rating`. A configured table replaces the default one
/// whole: an omitted `elite` means no elite tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTable {
    /// Tiers from lowest to highest.
    #[serde(default = "default_tiers")]
    pub tiers: Vec<Tier>,
    /// Optional top-N tier above the table.
    #[serde(default)]
    pub elite: Option<EliteTier>,
}

/// Where a rating falls in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierPosition<'a> {
    /// Tier name.
    pub name: &'a str,
    /// Index into the table; `None` for the elite tier.
    pub tier_index: Option<usize>,
    /// Division, 1 being the highest ("I"); `None` for single-division and elite tiers.
    pub division: Option<u8>,
}

impl TierPosition<'_> {
    /// "Captain II", or just the name without divisions.
    pub fn display(&self) -> String {
        match self.division {
            Some(d) => {
                let numeral = ROMAN.get(usize::from(d).saturating_sub(1)).unwrap_or(&"?");
                format!("{} {numeral}", self.name)
            }
            None => self.name.to_string(),
        }
    }
}

fn tier(name: &str, min_rating: i64, divisions: u8) -> Tier {
    Tier {
        name: name.to_string(),
        min_rating,
        divisions,
    }
}

/// The reference game's ranked tiers.
fn default_tiers() -> Vec<Tier> {
    vec![
        tier("Cadet", 0, 3),
        tier("Lieutenant", 1000, 3),
        tier("Captain", 1250, 3),
        tier("Major", 1425, 3),
        tier("Lt. Colonel", 1575, 3),
        tier("Colonel", 1750, 3),
        tier("Brigadier", 1975, 3),
        tier("General", 2250, 1),
    ]
}

impl Default for TierTable {
    /// The reference game's ranked tiers with its top-200 elite tier.
    fn default() -> Self {
        Self {
            tiers: default_tiers(),
            elite: Some(EliteTier {
                name: "Supreme Commander".to_string(),
                count: 200,
            }),
        }
    }
}

impl TierTable {
    /// Checks the table: non-empty, names present, strictly ascending, 1–10 divisions, every
    /// band wide enough for its divisions, one division in the open-ended last tier.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |index, why| Err(ConfigError::Tier { index, why });
        if self.tiers.is_empty() {
            return err(0, "the table needs at least one tier");
        }
        let last = self.tiers.len() - 1;
        for (i, t) in self.tiers.iter().enumerate() {
            if t.name.trim().is_empty() {
                return err(i, "name is empty");
            }
            if !(1..=10).contains(&t.divisions) {
                return err(i, "divisions must be 1..=10");
            }
            if t.min_rating.abs() > 1_000_000_000 {
                return err(i, "min_rating must be within ±1e9");
            }
            if let Some(next) = self.tiers.get(i + 1) {
                if next.min_rating <= t.min_rating {
                    return err(i + 1, "min_rating must be above the previous tier's");
                }
                if next.min_rating - t.min_rating < i64::from(t.divisions) {
                    return err(i, "band is narrower than its number of divisions");
                }
            } else if i == last && t.divisions != 1 {
                return err(
                    i,
                    "the last tier has no upper bound and must have one division",
                );
            }
        }
        if let Some(elite) = &self.elite {
            if elite.name.trim().is_empty() || elite.count == 0 {
                return err(
                    self.tiers.len(),
                    "elite tier needs a name and a positive count",
                );
            }
        }
        Ok(())
    }

    /// Tier and division of a fixed-point rating. `leaderboard_rank` (1 = best) puts eligible
    /// players into the elite tier. Ratings below the first tier count as its lowest division.
    pub fn position(&self, rating: i64, leaderboard_rank: Option<u32>) -> Option<TierPosition<'_>> {
        if let (Some(elite), Some(rank)) = (&self.elite, leaderboard_rank) {
            if (1..=elite.count).contains(&rank) {
                return Some(TierPosition {
                    name: &elite.name,
                    tier_index: None,
                    division: None,
                });
            }
        }
        let scale = i128::from(RATING_SCALE);
        let rating = i128::from(rating);
        let index = self
            .tiers
            .iter()
            .rposition(|t| i128::from(t.min_rating) * scale <= rating)
            .unwrap_or(0);
        let t = self.tiers.get(index)?;
        if t.divisions <= 1 {
            return Some(TierPosition {
                name: &t.name,
                tier_index: Some(index),
                division: None,
            });
        }
        let low = i128::from(t.min_rating) * scale;
        let high = self
            .tiers
            .get(index + 1)
            .map_or(low + scale, |n| i128::from(n.min_rating) * scale);
        let divisions = i128::from(t.divisions);
        // Lowest band is the highest-numbered division (III), as in most ladders.
        let band = ((rating - low).max(0) * divisions / (high - low)).min(divisions - 1);
        let division = u8::try_from(divisions - band).ok()?;
        Some(TierPosition {
            name: &t.name,
            tier_index: Some(index),
            division: Some(division),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(points: i64) -> String {
        TierTable::default()
            .position(points * 1000, None)
            .unwrap()
            .display()
    }

    #[test]
    fn default_table_validates() {
        assert_eq!(TierTable::default().validate(), Ok(()));
    }

    #[test]
    fn tier_boundaries() {
        assert_eq!(at(0), "Cadet III");
        assert_eq!(at(-50), "Cadet III");
        assert_eq!(at(999), "Cadet I");
        assert_eq!(at(1000), "Lieutenant III");
        // Captain spans 1250..1425: 175 points, three divisions of 58⅓.
        assert_eq!(at(1250), "Captain III");
        assert_eq!(at(1308), "Captain III");
        assert_eq!(at(1309), "Captain II");
        assert_eq!(at(1424), "Captain I");
        assert_eq!(at(2249), "Brigadier I");
        assert_eq!(at(2250), "General");
        assert_eq!(at(4000), "General");
        let t = TierTable::default();
        assert_eq!(t.position(1_424_999, None).unwrap().display(), "Captain I");
        assert_eq!(t.position(1_425_000, None).unwrap().display(), "Major III");
    }

    #[test]
    fn elite_tier_by_leaderboard_rank() {
        let t = TierTable::default();
        let top = t.position(2_400_000, Some(200)).unwrap();
        assert_eq!(
            (top.display(), top.tier_index),
            ("Supreme Commander".into(), None)
        );
        assert_eq!(
            t.position(2_400_000, Some(201)).unwrap().display(),
            "General"
        );
        assert_eq!(t.position(2_400_000, Some(0)).unwrap().display(), "General");
    }

    #[test]
    fn malformed_tables_are_rejected() {
        let mut t = TierTable::default();
        t.tiers.swap(1, 2);
        assert_eq!(
            t.validate(),
            Err(ConfigError::Tier {
                index: 2,
                why: "min_rating must be above the previous tier's"
            })
        );
        let mut t = TierTable::default();
        t.tiers.last_mut().unwrap().divisions = 3;
        assert!(t.validate().is_err());
        let mut t = TierTable::default();
        t.tiers[0].divisions = 0;
        assert!(t.validate().is_err());
        let t = TierTable {
            tiers: vec![],
            elite: None,
        };
        assert!(t.validate().is_err());
        let t = TierTable {
            tiers: vec![tier("A", 0, 3), tier("B", 2, 1)],
            elite: None,
        };
        assert!(t.validate().is_err());
    }

    #[test]
    fn a_configured_elite_tier_uses_its_name_and_count() {
        let c = crate::config::tests::parse(
            "[tiers]\n\
             tiers = [{ name = \"Bronze\", min_rating = 0, divisions = 1 },\n\
                      { name = \"Silver\", min_rating = 1400, divisions = 1 }]\n\
             elite = { name = \"Legend\", count = 3 }\n",
        );
        let at = |rank| c.tiers.position(1_000_000, Some(rank)).unwrap().display();
        assert_eq!(at(3), "Legend");
        // Rank 4 is within the default count (200) but not the configured one.
        assert_eq!(at(4), "Bronze");
        assert_eq!(
            TierTable::default()
                .position(1_000_000, Some(4))
                .unwrap()
                .display(),
            "Supreme Commander"
        );
        // A table without `elite` has no elite tier at all.
        let plain = crate::config::tests::parse(
            "[tiers]\ntiers = [{ name = \"Bronze\", min_rating = 0, divisions = 1 }]\n",
        );
        assert_eq!(
            plain.tiers.position(1_000_000, Some(1)).unwrap().display(),
            "Bronze"
        );
    }

    #[test]
    fn table_loads_from_toml() {
        let t: TierTable = toml::from_str(
            "[[tiers]]\nname = \"Bronze\"\nmin_rating = 0\ndivisions = 2\n\
             [[tiers]]\nname = \"Silver\"\nmin_rating = 1400\ndivisions = 1\n",
        )
        .unwrap();
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.elite, None);
        assert_eq!(t.position(700_000, None).unwrap().display(), "Bronze I");
        assert_eq!(t.position(699_999, None).unwrap().display(), "Bronze II");
    }
}
