//! Seasons: the schedule computed from a start instant and a duration, the soft reset at a
//! season's start, placement status, and per-season progress with its peak rating.

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, check_range};
use crate::fixed::{FixedRating, RATING_SCALE, div_round};

const SECONDS_PER_DAY: i64 = 86_400;

/// Season parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeasonConfig {
    /// Start of season 1, Unix seconds (UTC).
    pub first_season_start_unix: i64,
    /// Length of each season in days.
    pub duration_days: u32,
    /// Rated matches before a player leaves placement.
    pub placement_matches: u32,
    /// Centre of the soft reset, in rating points.
    pub soft_reset_center: i64,
    /// Share of the distance from the centre kept at a reset, permille (700 = 0.7).
    pub soft_reset_factor: u32,
    /// Whether a reset also sets the deviation to `placement_deviation`.
    pub reset_deviation: bool,
    /// Deviation after a reset, in rating points.
    pub placement_deviation: i64,
}

impl Default for SeasonConfig {
    fn default() -> Self {
        Self {
            // 2026-01-01T00:00:00Z; operators set their own.
            first_season_start_unix: 1_767_225_600,
            duration_days: 91,
            placement_matches: 10,
            soft_reset_center: 1500,
            soft_reset_factor: 700,
            reset_deviation: true,
            placement_deviation: 350,
        }
    }
}

/// One season of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Season {
    /// 1 for the first season.
    pub number: u32,
    /// First second of the season (inclusive), Unix seconds.
    pub starts_at: i64,
    /// First second after the season (exclusive), Unix seconds.
    pub ends_at: i64,
}

/// Where a player stands in placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlacementStatus {
    /// Still placing: no tier is shown yet.
    Placing {
        /// More rated matches needed.
        matches_remaining: u32,
    },
    /// Placement done; the tier is shown.
    Placed,
}

impl SeasonConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "season.duration_days",
            self.duration_days,
            (1..=3650).contains(&self.duration_days),
            "1..=3650",
        )?;
        check_range(
            "season.soft_reset_factor",
            self.soft_reset_factor,
            self.soft_reset_factor <= 1000,
            "0..=1000",
        )?;
        check_range(
            "season.placement_deviation",
            self.placement_deviation,
            (1..=10_000).contains(&self.placement_deviation),
            "1..=10000",
        )?;
        check_range(
            "season.soft_reset_center",
            self.soft_reset_center,
            self.soft_reset_center.abs() <= 1_000_000_000,
            "|x| <= 1e9",
        )?;
        Ok(())
    }

    fn duration_secs(&self) -> i64 {
        i64::from(self.duration_days) * SECONDS_PER_DAY
    }

    /// The season that contains `now_unix`, or `None` before the first season starts (or if
    /// the season number would overflow).
    pub fn season_at(&self, now_unix: i64) -> Option<Season> {
        let since = i128::from(now_unix) - i128::from(self.first_season_start_unix);
        if since < 0 {
            return None;
        }
        let length = i128::from(self.duration_secs().max(1));
        let index = since / length;
        let number = u32::try_from(index + 1).ok()?;
        let starts_at =
            i64::try_from(i128::from(self.first_season_start_unix) + index * length).ok()?;
        let ends_at = i64::try_from(i128::from(starts_at) + length).ok()?;
        Some(Season {
            number,
            starts_at,
            ends_at,
        })
    }

    /// Soft reset: new = centre + (old − centre) × factor, in exact integer arithmetic with
    /// rounding half away from the centre; the deviation becomes `placement_deviation` if
    /// `reset_deviation` is set. Volatility is kept.
    pub fn soft_reset(&self, r: FixedRating) -> FixedRating {
        let center = i128::from(self.soft_reset_center) * i128::from(RATING_SCALE);
        let offset = i128::from(r.rating) - center;
        let kept = div_round(offset * i128::from(self.soft_reset_factor), 1000);
        let rating = i64::try_from(center + kept).unwrap_or(r.rating);
        let deviation = if self.reset_deviation {
            self.placement_deviation * RATING_SCALE
        } else {
            r.deviation
        };
        FixedRating {
            rating,
            deviation,
            volatility: r.volatility,
        }
    }

    /// Placement status from this season's rated matches. (Varied opponents are asked of the
    /// leaderboard, `[leaderboard] min_distinct_opponents`, not of placement: a tier shows
    /// from the rating alone, which a record carries, so anyone can check it offline.)
    pub fn placement_status(&self, matches_played: u32) -> PlacementStatus {
        let matches_remaining = self.placement_matches.saturating_sub(matches_played);
        if matches_remaining == 0 {
            PlacementStatus::Placed
        } else {
            PlacementStatus::Placing { matches_remaining }
        }
    }
}

/// A player's record within one season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeasonProgress {
    /// Season number.
    pub season: u32,
    /// Rated matches this season.
    pub matches_played: u32,
    /// Highest rating (fixed point) reached after placement; `None` until placed.
    pub peak_rating: Option<i64>,
}

impl SeasonProgress {
    /// A fresh season record.
    pub fn new(season: u32) -> Self {
        Self {
            season,
            matches_played: 0,
            peak_rating: None,
        }
    }

    /// Counts a rated match and, once placed, raises the peak. Placement swings do not set a
    /// peak because no tier is shown while placing.
    pub fn record_match(&mut self, rating_after: i64, status_after: PlacementStatus) {
        self.matches_played = self.matches_played.saturating_add(1);
        if status_after == PlacementStatus::Placed {
            self.peak_rating = Some(
                self.peak_rating
                    .map_or(rating_after, |p| p.max(rating_after)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SeasonConfig {
        SeasonConfig {
            first_season_start_unix: 1_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn schedule_boundaries() {
        let c = config();
        let length = 91 * 86_400;
        assert_eq!(c.season_at(999_999), None);
        let first = c.season_at(1_000_000).unwrap();
        assert_eq!(
            (first.number, first.starts_at, first.ends_at),
            (1, 1_000_000, 1_000_000 + length)
        );
        assert_eq!(c.season_at(1_000_000 + length - 1).unwrap().number, 1);
        let second = c.season_at(1_000_000 + length).unwrap();
        assert_eq!((second.number, second.starts_at), (2, 1_000_000 + length));
        // Far past any real date the season number no longer fits: no season rather than a panic.
        assert_eq!(c.season_at(i64::MAX), None);
        assert_eq!(c.season_at(4_102_444_800).unwrap().number, 522);
    }

    #[test]
    fn soft_reset_compresses_towards_1500() {
        let c = config();
        let reset = |points: i64| c.soft_reset(FixedRating::from_points(points, 60, 60_000));
        assert_eq!(reset(2000).rating, 1_850_000);
        assert_eq!(reset(1000).rating, 1_150_000);
        assert_eq!(reset(1500).rating, 1_500_000);
        assert_eq!(reset(2000).deviation, 350_000);
        assert_eq!(reset(2000).volatility, 60_000);
        // Rounding is symmetric around the centre: ±0.001 point offsets keep 0.0007 → 0.001.
        let up = c.soft_reset(FixedRating {
            rating: 1_500_001,
            deviation: 1,
            volatility: 1,
        });
        let down = c.soft_reset(FixedRating {
            rating: 1_499_999,
            deviation: 1,
            volatility: 1,
        });
        assert_eq!((up.rating, down.rating), (1_500_001, 1_499_999));
        let keep = SeasonConfig {
            reset_deviation: false,
            soft_reset_factor: 1000,
            ..config()
        };
        let r = FixedRating::from_points(1800, 60, 60_000);
        assert_eq!(keep.soft_reset(r), r);
        let full = SeasonConfig {
            soft_reset_factor: 0,
            ..config()
        };
        assert_eq!(full.soft_reset(r).rating, 1_500_000);
    }

    #[test]
    fn placement_counts_to_its_boundary() {
        let c = config();
        assert_eq!(
            c.placement_status(9),
            PlacementStatus::Placing {
                matches_remaining: 1
            }
        );
        assert_eq!(c.placement_status(10), PlacementStatus::Placed);
        assert_eq!(c.placement_status(11), PlacementStatus::Placed);
    }

    #[test]
    fn peak_is_kept_after_placement_only() {
        let mut p = SeasonProgress::new(3);
        let placing = PlacementStatus::Placing {
            matches_remaining: 1,
        };
        p.record_match(1_900_000, placing);
        assert_eq!(p.peak_rating, None);
        p.record_match(1_700_000, PlacementStatus::Placed);
        p.record_match(1_750_000, PlacementStatus::Placed);
        p.record_match(1_650_000, PlacementStatus::Placed);
        assert_eq!((p.matches_played, p.peak_rating), (4, Some(1_750_000)));
    }

    /// The `[season]` section of a `[rating]` section given as TOML text.
    fn configured(text: &str) -> SeasonConfig {
        crate::config::tests::parse(&format!("[season]\n{text}")).season
    }

    #[test]
    fn duration_days_sets_the_season_length() {
        let c = configured("first_season_start_unix = 1000000\nduration_days = 30");
        let day = 86_400;
        let second = c.season_at(1_000_000 + 30 * day).unwrap();
        assert_eq!((second.number, second.starts_at), (2, 1_000_000 + 30 * day));
        assert_eq!(
            c.season_at(1_000_000).unwrap().ends_at,
            1_000_000 + 30 * day
        );
        assert_eq!(config().season_at(1_000_000 + 30 * day).unwrap().number, 1);
    }

    #[test]
    fn placement_matches_sets_how_many_matches_place_a_player() {
        let c = configured("placement_matches = 3");
        assert_eq!(
            c.placement_status(2),
            PlacementStatus::Placing {
                matches_remaining: 1
            }
        );
        assert_eq!(c.placement_status(3), PlacementStatus::Placed);
        assert_eq!(
            config().placement_status(3),
            PlacementStatus::Placing {
                matches_remaining: 7
            }
        );
    }

    #[test]
    fn soft_reset_center_and_placement_deviation_shape_the_reset() {
        let c = configured("soft_reset_center = 1200\nplacement_deviation = 250");
        let r = c.soft_reset(FixedRating::from_points(2000, 60, 60_000));
        // 1200 + (2000 − 1200) · 0.7 = 1760, instead of 1850 around 1500.
        assert_eq!(r.rating, 1_760_000);
        assert_eq!(r.deviation, 250_000);
        let d = config().soft_reset(FixedRating::from_points(2000, 60, 60_000));
        assert_eq!((d.rating, d.deviation), (1_850_000, 350_000));
    }

    #[test]
    fn invalid_season_configs() {
        assert_eq!(config().validate(), Ok(()));
        let c = SeasonConfig {
            soft_reset_factor: 1001,
            ..config()
        };
        assert!(c.validate().is_err());
        let c = SeasonConfig {
            duration_days: 0,
            ..config()
        };
        assert!(c.validate().is_err());
    }
}
