//! Ranked seasons: which one runs, ending it (archive, soft reset, next season) by command or
//! on schedule, and how a presented rating record's season compares with the running one.

mod schedule;

pub use schedule::{due, first_season, next_season, soft_reset};

use std::sync::Arc;
use std::time::Duration;

use ranking::season::SeasonConfig;

use crate::live_setting::Live;
use crate::store::{SeasonChange, SeasonChanged, SeasonRow, Store, StoreError};

/// How often the schedule looks whether the running season is due to end, and how stale the
/// cached running season may get when another process on the database changed it.
pub const SCHEDULE_TICK: Duration = Duration::from_secs(30);

/// Why a season change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SeasonError {
    /// No season runs (the database has none yet: the server has not started on it).
    #[error("no season is running; start the server once to open the first season")]
    NoneRunning,
    /// Another process ended the season first.
    #[error("season {0} is no longer running: another process changed the season first")]
    AlreadyChanged(u32),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a rating record's season stands against the running season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonStanding {
    /// The running season.
    Current,
    /// The season before: valid, flagged, and the player places again.
    Previous,
    /// Older: matchmaking refuses it, the player re-places with a fresh record.
    Expired,
}

impl SeasonStanding {
    /// Of a record from `season` while `running` runs.
    pub fn of(season: u32, running: u32) -> Self {
        if season >= running {
            Self::Current
        } else if season + 1 == running {
            Self::Previous
        } else {
            Self::Expired
        }
    }

    /// The status name the API reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Current => "current_season",
            Self::Previous => "previous_season",
            Self::Expired => "season_expired",
        }
    }
}

/// The season a record belongs to: the one it names (layout 2), or for a first-layout record
/// the season its issue time falls in (the first one known, for a time before any).
pub fn season_of_record(named: Option<u32>, issued_at: i64, seasons: &[SeasonRow]) -> u32 {
    named.unwrap_or_else(|| {
        seasons
            .iter()
            .rev()
            .find(|season| season.starts_at <= issued_at)
            .or(seasons.first())
            .map_or(0, |season| season.season)
    })
}

/// The running season as this process last saw it: read at start, after each change made
/// here, and on every schedule tick (so a change by another process shows within a tick).
pub struct SeasonClock {
    running: Live<SeasonRow>,
}

impl SeasonClock {
    /// Opens the first season if the database has none, and holds the running one.
    pub async fn open(
        store: &dyn Store,
        config: &SeasonConfig,
        now: i64,
    ) -> Result<Self, StoreError> {
        let running = store.open_first_season(&first_season(config, now)).await?;
        Ok(Self {
            running: Live::new(running),
        })
    }

    /// The running season's number.
    pub fn running_number(&self) -> u32 {
        self.running.get().season
    }

    /// The running season.
    pub fn running(&self) -> Arc<SeasonRow> {
        self.running.get()
    }

    /// Reads the running season again.
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), StoreError> {
        if let Some(running) = store.seasons().await?.into_iter().find(|s| !s.ended) {
            self.running.set(running);
        }
        Ok(())
    }
}

/// What a season change did, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeReport {
    /// The season that ended.
    pub ended: SeasonRow,
    /// The season that started.
    pub started: SeasonRow,
    /// Standings archived.
    pub archived: u64,
}

/// Ends the running season at `now` and starts the next (named `name`, lasting `days`), in one
/// transaction: the standings are archived, every rating soft-reset, placement starts again.
pub async fn change_season(
    store: &dyn Store,
    config: &SeasonConfig,
    now: i64,
    name: Option<&str>,
    days: Option<u32>,
) -> Result<ChangeReport, SeasonError> {
    let running = store
        .seasons()
        .await?
        .into_iter()
        .find(|season| !season.ended)
        .ok_or(SeasonError::NoneRunning)?;
    let next = next_season(&running, config, now, name, days);
    let change = SeasonChange {
        ending: running.season,
        at: now,
        next: next.clone(),
        reset: soft_reset(config),
    };
    match store.change_season(&change).await? {
        SeasonChanged::Done { archived } => Ok(ChangeReport {
            ended: SeasonRow {
                ends_at: now,
                ended: true,
                ..running
            },
            started: next,
            archived,
        }),
        SeasonChanged::NotRunning => Err(SeasonError::AlreadyChanged(running.season)),
    }
}

/// Ends each season when its planned end comes, and keeps `clock` current. Runs until the
/// task is dropped; a failed tick is logged and tried again at the next.
pub async fn run_schedule(
    store: Arc<dyn Store>,
    config: SeasonConfig,
    clock: Arc<SeasonClock>,
    now: impl Fn() -> i64 + Send + 'static,
) {
    let mut ticks = tokio::time::interval(SCHEDULE_TICK);
    loop {
        ticks.tick().await;
        if let Err(error) = clock.refresh(store.as_ref()).await {
            tracing::warn!(%error, "reading the running season failed");
            continue;
        }
        let running = clock.running();
        let at = now();
        if !due(&running, at) {
            continue;
        }
        match change_season(store.as_ref(), &config, at, None, None).await {
            Ok(report) => tracing::info!(
                ended = report.ended.season,
                started = report.started.season,
                archived = report.archived,
                "season ended on schedule"
            ),
            // Another process on the database got there first: nothing to do.
            Err(SeasonError::AlreadyChanged(_)) => {}
            Err(error) => tracing::warn!(%error, "ending the season on schedule failed"),
        }
        if let Err(error) = clock.refresh(store.as_ref()).await {
            tracing::warn!(%error, "reading the running season failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season(number: u32, starts_at: i64) -> SeasonRow {
        SeasonRow {
            season: number,
            name: format!("Season {number}"),
            starts_at,
            ends_at: starts_at + 100,
            ended: false,
        }
    }

    #[test]
    fn a_record_is_current_previous_or_expired() {
        assert_eq!(SeasonStanding::of(5, 5), SeasonStanding::Current);
        assert_eq!(SeasonStanding::of(4, 5), SeasonStanding::Previous);
        assert_eq!(SeasonStanding::of(3, 5), SeasonStanding::Expired);
        assert_eq!(SeasonStanding::of(0, 0), SeasonStanding::Current);
        assert_eq!(SeasonStanding::of(0, 1), SeasonStanding::Previous);
    }

    #[test]
    fn a_first_layout_record_falls_in_the_season_of_its_issue_time() {
        let seasons = [season(3, 1_000), season(4, 1_100), season(5, 1_200)];
        assert_eq!(season_of_record(Some(9), 0, &seasons), 9);
        assert_eq!(season_of_record(None, 1_150, &seasons), 4);
        assert_eq!(season_of_record(None, 1_200, &seasons), 5);
        // Issued before the first recorded season: it belongs to that first season.
        assert_eq!(season_of_record(None, 10, &seasons), 3);
        assert_eq!(season_of_record(None, 10, &[]), 0);
    }
}
