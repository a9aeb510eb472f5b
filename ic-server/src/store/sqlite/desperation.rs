//! [`DesperationMatches`] for SQLite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::desperation::{DESPERATION_MARK_DAYS, DesperationMatches};

#[async_trait]
impl DesperationMatches for SqliteStore {
    async fn mark_desperation_match(&self, game_id: u64, at: i64) -> Result<(), StoreError> {
        let _timer = self.timer("mark_desperation_match");
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO desperation_matches (game_id, marked_at) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
        )
        // The id's 64 bits as a signed integer: ids are compared, never ordered.
        .bind(game_id as i64)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM desperation_matches WHERE marked_at < ?")
            .bind(at - DESPERATION_MARK_DAYS * 86_400)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn is_desperation_match(&self, game_id: u64) -> Result<bool, StoreError> {
        let _timer = self.timer("is_desperation_match");
        let found: Option<i64> =
            sqlx::query_scalar("SELECT game_id FROM desperation_matches WHERE game_id = ?")
                .bind(game_id as i64)
                .fetch_optional(&self.read)
                .await?;
        Ok(found.is_some())
    }
}
