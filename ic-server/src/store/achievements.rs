//! Achievements behind a trait: which achievement each player holds, at what verification, and
//! the optimistic claims waiting for their challenge window to pass.
//!
//! Rows are written only as part of a [`super::PlayerChange`] (with the record that issues
//! them, under the player's sequence check), so a row never exists without its record.

use async_trait::async_trait;
use scr::PlayerKey;

use super::StoreError;
use super::columns::{Columns, key32, unseq};

/// The columns of an achievement row, in select and insert order.
pub(crate) const ACHIEVEMENT_COLUMNS: &str = "player_key, game_module, achievement_id, sequence, \
    verification, unlocked_at, match_id, upgrade_at, challenged_at";

/// One achievement a player holds, as its newest record states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementRow {
    /// The player.
    pub player_key: PlayerKey,
    /// Game module.
    pub game_module: String,
    /// The id in the record (a per-season achievement's ends in `@s<season>`).
    pub achievement_id: String,
    /// Sequence of the newest record issuing it.
    pub sequence: u64,
    /// The record's verification byte (1 optimistic, 2 verified).
    pub verification: u8,
    /// When it was unlocked.
    pub unlocked_at: i64,
    /// The certified match that earned it, if any.
    pub match_id: Option<[u8; 32]>,
    /// An optimistic claim's end of the challenge window, when it is re-issued as verified;
    /// `None` once verified, or for a claim that is never upgraded.
    pub upgrade_at: Option<i64>,
    /// When a moderator challenged the claim (it is then never upgraded).
    pub challenged_at: Option<i64>,
}

/// A row selected with [`ACHIEVEMENT_COLUMNS`].
pub(crate) fn achievement_from_row(row: &impl Columns) -> Result<AchievementRow, StoreError> {
    Ok(AchievementRow {
        player_key: PlayerKey::from_bytes(key32(&row.blob("player_key")?)?),
        game_module: row.text("game_module")?,
        achievement_id: row.text("achievement_id")?,
        sequence: unseq(row.int("sequence")?)?,
        verification: row.small("verification")?,
        unlocked_at: row.int("unlocked_at")?,
        match_id: row.opt_blob("match_id")?.map(|id| key32(&id)).transpose()?,
        upgrade_at: row.opt_int("upgrade_at")?,
        challenged_at: row.opt_int("challenged_at")?,
    })
}

/// Reads of the achievements players hold.
#[async_trait]
pub trait Achievements: Send + Sync {
    /// Which of `ids` the player holds in `module`.
    async fn held_achievements(
        &self,
        player: &PlayerKey,
        module: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// Every achievement the player holds, oldest unlock first.
    async fn achievements_of(&self, player: &PlayerKey) -> Result<Vec<AchievementRow>, StoreError>;

    /// Unchallenged claims whose window ended at or before `now`, oldest first, at most `limit`.
    async fn due_upgrades(&self, now: i64, limit: u32) -> Result<Vec<AchievementRow>, StoreError>;
}
