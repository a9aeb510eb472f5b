//! Seasons behind a trait: the community's ranked seasons, the standings archived when one ends,
//! and the season change itself (archive, soft reset, next season) as one transaction.

use async_trait::async_trait;
use scr::PlayerKey;

use super::StoreError;
use super::columns::{Columns, count_u32, key32};

/// The columns of a season, in select and insert order.
pub(crate) const SEASON_COLUMNS: &str = "season, name, starts_at, ends_at, ended";
/// The columns of an archived standing, in select and insert order.
pub(crate) const STANDING_COLUMNS: &str = "season, game_module, player_key, rating, deviation, \
    games_played, wins, losses, draws, peak_rating";

/// A season selected with [`SEASON_COLUMNS`].
pub(crate) fn season_from_row(row: &impl Columns) -> Result<SeasonRow, StoreError> {
    Ok(SeasonRow {
        season: row.small("season")?,
        name: row.text("name")?,
        starts_at: row.int("starts_at")?,
        ends_at: row.int("ends_at")?,
        ended: row.flag("ended")?,
    })
}

/// A standing selected with [`STANDING_COLUMNS`].
pub(crate) fn standing_from_row(row: &impl Columns) -> Result<StandingRow, StoreError> {
    Ok(StandingRow {
        player_key: PlayerKey::from_bytes(key32(&row.blob("player_key")?)?),
        game_module: row.text("game_module")?,
        rating: row.int("rating")?,
        deviation: row.int("deviation")?,
        games_played: count_u32(row.int("games_played")?)?,
        wins: count_u32(row.int("wins")?)?,
        losses: count_u32(row.int("losses")?)?,
        draws: count_u32(row.int("draws")?)?,
        peak_rating: row.opt_int("peak_rating")?,
    })
}

/// A season as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeasonRow {
    /// 1, 2, …; 0 is the preseason before the configured first season.
    pub season: u32,
    /// Display name.
    pub name: String,
    /// First second of the season.
    pub starts_at: i64,
    /// The planned end while it runs, the actual end once it ended.
    pub ends_at: i64,
    /// Whether it has ended.
    pub ended: bool,
}

/// One player's standing in one game module when a season ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingRow {
    /// The player.
    pub player_key: PlayerKey,
    /// Game module.
    pub game_module: String,
    /// Rating ×1000 at the end.
    pub rating: i64,
    /// Deviation ×1000 at the end.
    pub deviation: i64,
    /// Rated games in the season.
    pub games_played: u32,
    /// Wins in the season.
    pub wins: u32,
    /// Losses in the season.
    pub losses: u32,
    /// Draws in the season.
    pub draws: u32,
    /// Highest rating after placement; `None` if the player never placed.
    pub peak_rating: Option<i64>,
}

/// The soft reset every rating gets at a season change, as fixed-point parameters:
/// `rating' = center + round((rating − center) × factor / 1000)`, rounding half away from the
/// centre, exactly `ranking::season::SeasonConfig::soft_reset` (a conformance test holds both
/// backends to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftReset {
    /// Centre ×1000.
    pub center: i64,
    /// Share of the distance kept, permille (0–1000).
    pub factor_permille: u32,
    /// The deviation ×1000 every rating gets, or `None` to keep each one's.
    pub deviation: Option<i64>,
}

impl SoftReset {
    /// The SQL expressions (rating, deviation) over the `ratings` columns, with the parameters
    /// inlined as integer literals (they come from validated configuration, never from users).
    pub(crate) fn sql(&self) -> (String, String) {
        let c = self.center;
        let f = self.factor_permille;
        // Integer division truncates towards zero on both backends; each branch divides a
        // non-negative numerator, so adding 500 rounds half away from the centre.
        let rating = format!(
            "CASE WHEN rating >= {c} THEN {c} + ((rating - {c}) * {f} + 500) / 1000 \
             ELSE {c} - (({c} - rating) * {f} + 500) / 1000 END"
        );
        let deviation = self
            .deviation
            .map_or_else(|| "deviation".to_owned(), |d| d.to_string());
        (rating, deviation)
    }
}

/// Ending the running season `ending` at `at` and opening `next`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeasonChange {
    /// The season that must be running; the change does nothing otherwise.
    pub ending: u32,
    /// When it ends (and `next` starts).
    pub at: i64,
    /// The season that starts.
    pub next: SeasonRow,
    /// The reset applied to every rating.
    pub reset: SoftReset,
}

/// What a season change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonChanged {
    /// The season ended; this many standings were archived.
    Done {
        /// Rows written to the archive (players × modules with a game in the season).
        archived: u64,
    },
    /// The season asked to end was not the running one (another process changed it first).
    NotRunning,
}

/// The season store.
#[async_trait]
pub trait Seasons: Send + Sync + 'static {
    /// Every season, oldest first.
    async fn seasons(&self) -> Result<Vec<SeasonRow>, StoreError>;

    /// Opens `first` and puts every rating row in it, unless a season exists already; returns
    /// the running season either way (or the newest one, if none runs).
    async fn open_first_season(&self, first: &SeasonRow) -> Result<SeasonRow, StoreError>;

    /// In one transaction: ends `change.ending` (if it still runs), archives every rating row
    /// with a game in it, applies the soft reset and clears the season counts, the peak and the
    /// distinct opponents, moves every player's sequence on (so a change planned against the
    /// old season conflicts and is planned again) and opens `change.next`.
    async fn change_season(&self, change: &SeasonChange) -> Result<SeasonChanged, StoreError>;

    /// The archived standings of `season` in `module`, best first, after the cursor
    /// `(rating, player key)` when given.
    async fn standings(
        &self,
        season: u32,
        module: &str,
        limit: u32,
        after: Option<(i64, PlayerKey)>,
    ) -> Result<Vec<StandingRow>, StoreError>;
}
