//! [`Achievements`] for SQLite: reads on the read pool (rows are written with their records by
//! the change writer, `changes.rs`).

use async_trait::async_trait;
use scr::PlayerKey;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::achievements::{
    ACHIEVEMENT_COLUMNS, AchievementRow, Achievements, achievement_from_row,
};

#[async_trait]
impl Achievements for SqliteStore {
    async fn held_achievements(
        &self,
        player: &PlayerKey,
        module: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let _timer = self.timer("held_achievements");
        // The ids travel as one JSON array: a statement of any length of list.
        let ids = serde_json::to_string(ids)
            .map_err(|error| StoreError::WriteFailed(error.to_string()))?;
        let held = sqlx::query_scalar(
            "SELECT achievement_id FROM achievements WHERE player_key = ? AND game_module = ? \
             AND achievement_id IN (SELECT value FROM json_each(?))",
        )
        .bind(player.as_bytes().as_slice())
        .bind(module)
        .bind(ids)
        .fetch_all(&self.read)
        .await?;
        Ok(held)
    }

    async fn achievements_of(&self, player: &PlayerKey) -> Result<Vec<AchievementRow>, StoreError> {
        let _timer = self.timer("achievements_of");
        let rows = sqlx::query(&format!(
            "SELECT {ACHIEVEMENT_COLUMNS} FROM achievements WHERE player_key = ? \
             ORDER BY unlocked_at, game_module, achievement_id"
        ))
        .bind(player.as_bytes().as_slice())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(achievement_from_row).collect()
    }

    async fn due_upgrades(&self, now: i64, limit: u32) -> Result<Vec<AchievementRow>, StoreError> {
        let _timer = self.timer("due_upgrades");
        let rows = sqlx::query(&format!(
            "SELECT {ACHIEVEMENT_COLUMNS} FROM achievements \
             WHERE upgrade_at IS NOT NULL AND upgrade_at <= ? AND challenged_at IS NULL \
             ORDER BY upgrade_at LIMIT ?"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(achievement_from_row).collect()
    }
}
