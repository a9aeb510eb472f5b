//! Which season runs when: the first season from the configured schedule, the one after a
//! change, when the running one is due to end, and the soft reset in the store's terms. Pure.

use ranking::fixed::RATING_SCALE;
use ranking::season::SeasonConfig;

use crate::store::{SeasonRow, SoftReset};

const SECONDS_PER_DAY: i64 = 86_400;

/// The season a community without any opens at `now`: the scheduled season `now` falls in, or
/// a preseason (season 0) until `first_season_start_unix` when that is still ahead.
pub fn first_season(config: &SeasonConfig, now: i64) -> SeasonRow {
    match config.season_at(now) {
        Some(season) => SeasonRow {
            season: season.number,
            name: default_name(season.number),
            starts_at: season.starts_at,
            ends_at: season.ends_at,
            ended: false,
        },
        None => SeasonRow {
            season: 0,
            name: default_name(0),
            starts_at: now,
            ends_at: config.first_season_start_unix,
            ended: false,
        },
    }
}

/// The season that follows `ending` when it ends at `at`: numbered one higher, named `name`
/// (default "Season N"), lasting `days` (default `duration_days`). A season that ends on
/// schedule keeps the schedule's rhythm (the next ends one duration after the planned end);
/// one ended early by an operator, or late because the server was down, starts the rhythm
/// afresh from `at`.
pub fn next_season(
    ending: &SeasonRow,
    config: &SeasonConfig,
    at: i64,
    name: Option<&str>,
    days: Option<u32>,
) -> SeasonRow {
    let number = ending.season.saturating_add(1);
    let length = i64::from(days.unwrap_or(config.duration_days)) * SECONDS_PER_DAY;
    let on_schedule = ending.ends_at <= at && at - ending.ends_at < SECONDS_PER_DAY;
    let starts_at = if on_schedule { ending.ends_at } else { at };
    SeasonRow {
        season: number,
        name: name.map_or_else(|| default_name(number), str::to_owned),
        starts_at,
        ends_at: starts_at.saturating_add(length).max(at.saturating_add(1)),
        ended: false,
    }
}

/// Whether the running season's planned end has come.
pub fn due(running: &SeasonRow, now: i64) -> bool {
    !running.ended && now >= running.ends_at
}

/// The configured soft reset as the store applies it.
pub fn soft_reset(config: &SeasonConfig) -> SoftReset {
    SoftReset {
        center: config.soft_reset_center.saturating_mul(RATING_SCALE),
        factor_permille: config.soft_reset_factor,
        deviation: config
            .reset_deviation
            .then(|| config.placement_deviation.saturating_mul(RATING_SCALE)),
    }
}

fn default_name(number: u32) -> String {
    if number == 0 {
        "Preseason".to_owned()
    } else {
        format!("Season {number}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = SECONDS_PER_DAY;

    fn config() -> SeasonConfig {
        SeasonConfig {
            first_season_start_unix: 1_000 * DAY,
            duration_days: 30,
            ..SeasonConfig::default()
        }
    }

    #[test]
    fn the_first_season_follows_the_schedule_or_waits_in_a_preseason() {
        let c = config();
        let early = first_season(&c, 990 * DAY);
        assert_eq!((early.season, early.name.as_str()), (0, "Preseason"));
        assert_eq!((early.starts_at, early.ends_at), (990 * DAY, 1_000 * DAY));
        let third = first_season(&c, 1_065 * DAY);
        assert_eq!((third.season, third.name.as_str()), (3, "Season 3"));
        assert_eq!((third.starts_at, third.ends_at), (1_060 * DAY, 1_090 * DAY));
    }

    #[test]
    fn a_season_ended_on_time_keeps_the_rhythm_and_an_early_end_starts_afresh() {
        let c = config();
        let running = first_season(&c, 1_065 * DAY);
        let on_time = next_season(&running, &c, 1_090 * DAY + 30, None, None);
        assert_eq!((on_time.season, on_time.name.as_str()), (4, "Season 4"));
        assert_eq!(
            (on_time.starts_at, on_time.ends_at),
            (1_090 * DAY, 1_120 * DAY)
        );
        let early = next_season(&running, &c, 1_070 * DAY, Some("Winter"), Some(10));
        assert_eq!((early.season, early.name.as_str()), (4, "Winter"));
        assert_eq!((early.starts_at, early.ends_at), (1_070 * DAY, 1_080 * DAY));
        // Back after a long outage: the next season starts now, not in the past.
        let late = next_season(&running, &c, 1_200 * DAY, None, None);
        assert_eq!((late.starts_at, late.ends_at), (1_200 * DAY, 1_230 * DAY));
        assert!(due(&running, 1_090 * DAY) && !due(&running, 1_090 * DAY - 1));
    }

    #[test]
    fn the_store_reset_is_the_configured_one() {
        let reset = soft_reset(&SeasonConfig::default());
        assert_eq!(
            reset,
            SoftReset {
                center: 1_500_000,
                factor_permille: 700,
                deviation: Some(350_000),
            }
        );
        let keep = SeasonConfig {
            reset_deviation: false,
            ..SeasonConfig::default()
        };
        assert_eq!(soft_reset(&keep).deviation, None);
    }
}
