//! The rank boards the authority answers ranks from: one per game module, rebuilt from the
//! store when a rating changed here, when it is old, and never more often than it is worth.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scr::PlayerKey;

use super::rank_board::RankBoard;
use super::{Authority, AuthorityError};
use crate::store::{LeaderboardRow, Store, StoreError};

/// A board older than this is rebuilt even without a change here: another process on the
/// database (a second ranking process, `ic-server seasons end`) may have changed ratings.
const MAX_AGE: Duration = Duration::from_secs(30);
/// A changed board is rebuilt at once unless the last build is younger than this many times
/// its own duration: a small community's ranks are exact, a large one's (100,000 players take
/// a few hundred milliseconds to read) lag by at most a second or two under constant change.
const REBUILD_SPACING: u32 = 5;
/// Builds quicker than this are never spaced: a community that small always sees its board
/// (ranks and leaderboard rows) exactly as stored after a change made here.
const SPACED_BUILD: Duration = Duration::from_millis(10);

/// One built board, with the leaderboard rows it was built from in the same order, so a page
/// and its ranks come from one snapshot.
pub struct Built {
    /// The board.
    pub board: RankBoard,
    rows: Vec<LeaderboardRow>,
    generation: u64,
    built_at: Instant,
    took: Duration,
}

impl Built {
    /// The 0-based position of the first row after the cursor `after` (rating, key), in the
    /// leaderboard's order; 0 without a cursor. A cursor whose player left the board still
    /// lands between its neighbours.
    pub fn start_after(&self, after: Option<(i64, PlayerKey)>) -> usize {
        match after {
            None => 0,
            Some((rating, key)) => self.rows.partition_point(|row| {
                row.rating.rating > rating || (row.rating.rating == rating && row.player_key <= key)
            }),
        }
    }

    /// Up to `limit` rows from position `start`.
    pub fn rows(&self, start: usize, limit: usize) -> &[LeaderboardRow] {
        let start = start.min(self.rows.len());
        let end = start.saturating_add(limit).min(self.rows.len());
        &self.rows[start..end]
    }
}

/// The boards of every game module, with what changed since they were built.
#[derive(Default)]
pub(super) struct RankBoards {
    boards: Mutex<HashMap<String, Arc<Built>>>,
    // One rebuild at a time: readers that must wait for a board wait for this one.
    rebuilding: Arc<tokio::sync::Mutex<()>>,
    // Counts rating changes made through this authority.
    generation: AtomicU64,
}

impl RankBoards {
    /// Notes a rating change: the next read rebuilds.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    pub(super) fn current(&self, module: &str) -> Option<Arc<Built>> {
        self.boards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(module)
            .cloned()
    }

    fn fresh_enough(&self, built: &Built) -> bool {
        let age = built.built_at.elapsed();
        if age >= MAX_AGE {
            return false;
        }
        built.generation >= self.generation.load(Ordering::Acquire)
            || (built.took >= SPACED_BUILD && age < built.took * REBUILD_SPACING)
    }
}

impl RankBoards {
    /// Reads the eligible players of `module` and installs a new board.
    async fn build(
        &self,
        store: &dyn Store,
        module: &str,
        rules: &ranking::leaderboard::LeaderboardConfig,
    ) -> Result<Arc<Built>, StoreError> {
        let generation = self.generation.load(Ordering::Acquire);
        let started = Instant::now();
        let mut rows = store
            .leaderboard(
                module,
                rules.min_matches,
                rules.min_distinct_opponents,
                u32::MAX,
                None,
            )
            .await?;
        // The board's order (the store's too; sorted here so the two cannot disagree).
        rows.sort_by(|a, b| {
            b.rating
                .rating
                .cmp(&a.rating.rating)
                .then(a.player_key.cmp(&b.player_key))
        });
        let board = RankBoard::new(rows.iter().map(|row| (row.player_key, row.rating.rating)));
        let built = Arc::new(Built {
            board,
            rows,
            generation,
            built_at: Instant::now(),
            took: started.elapsed(),
        });
        self.boards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(module.to_owned(), built.clone());
        Ok(built)
    }
}

impl Authority {
    /// The rank board of `module`. A stale board is rebuilt before answering when that is
    /// quick (under [`SPACED_BUILD`]: small communities see every change at once); a slow one
    /// is answered from as it is while one rebuild runs in the background, so no request
    /// waits for a read of every eligible player except the very first.
    pub async fn rank_board(&self, module: &str) -> Result<Arc<Built>, AuthorityError> {
        if !self.settings.game_modules.iter().any(|m| m == module) {
            return Err(AuthorityError::UnknownGameModule(module.to_owned()));
        }
        let boards = &self.ranks;
        if let Some(built) = boards.current(module) {
            if boards.fresh_enough(&built) {
                return Ok(built);
            }
            if built.took >= SPACED_BUILD {
                self.refresh_in_background(module);
                return Ok(built);
            }
        }
        let _rebuilding = boards.rebuilding.lock().await;
        // Someone else may have rebuilt it while this reader waited.
        if let Some(built) = boards.current(module)
            && boards.fresh_enough(&built)
        {
            return Ok(built);
        }
        Ok(boards
            .build(self.store.as_ref(), module, &self.rating.leaderboard)
            .await?)
    }

    /// Starts a rebuild of `module`'s board unless one is running.
    fn refresh_in_background(&self, module: &str) {
        let Ok(rebuilding) = self.ranks.rebuilding.clone().try_lock_owned() else {
            return;
        };
        let (boards, store) = (self.ranks.clone(), self.store.clone());
        let (module, rules) = (module.to_owned(), self.rating.leaderboard.clone());
        tokio::spawn(async move {
            let _rebuilding = rebuilding;
            if let Err(error) = boards.build(store.as_ref(), &module, &rules).await {
                tracing::warn!(%error, module, "rebuilding the rank board failed");
            }
        });
    }

    /// `player`'s rank and percentile in `module` (0, 0 when not eligible, or when the module
    /// is no longer rated here: a rating row can outlive its module in the configuration).
    pub async fn rank(
        &self,
        module: &str,
        player: &PlayerKey,
    ) -> Result<(u32, u16), AuthorityError> {
        if !self.settings.game_modules.iter().any(|m| m == module) {
            return Ok((0, 0));
        }
        let built = self.rank_board(module).await?;
        Ok(built
            .board
            .rank_of(player)
            .map_or((0, 0), |rank| (rank, built.board.percentile(rank))))
    }
}

impl Authority {
    /// The tier `row` shows at leaderboard rank `rank` ("Captain II", or the elite tier for a
    /// top rank); `None` while the player is still placing this season.
    pub fn tier(&self, row: &crate::store::RatingRow, rank: Option<u32>) -> Option<String> {
        self.tier_of(&row.game_module, row.rating, row.games_played, rank)
    }

    /// The tier of a rating (×1000) in `module` after `games_played` rated games this season,
    /// at leaderboard rank `rank` (0 or `None`: not ranked); `None` while placing.
    pub fn tier_of(
        &self,
        module: &str,
        rating: i64,
        games_played: u32,
        rank: Option<u32>,
    ) -> Option<String> {
        if games_played < self.rating.season.placement_matches {
            return None;
        }
        self.rating
            .tiers_for(module)
            .position(rating, rank.filter(|&rank| rank > 0))
            .map(|position| position.display())
    }

    /// Rated matches `row` still needs this season before a tier is shown.
    pub fn placement_left(&self, row: &crate::store::RatingRow) -> u32 {
        self.rating
            .season
            .placement_matches
            .saturating_sub(row.games_played)
    }
}
