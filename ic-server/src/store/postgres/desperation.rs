//! [`DesperationMatches`] for PostgreSQL.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::desperation::{DESPERATION_MARK_DAYS, DesperationMatches};

#[async_trait]
impl DesperationMatches for PostgresStore {
    async fn mark_desperation_match(&self, game_id: u64, at: i64) -> Result<(), StoreError> {
        let _timer = self.timer("mark_desperation_match");
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO desperation_matches (game_id, marked_at) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        // The id's 64 bits as a signed integer: ids are compared, never ordered.
        .bind(game_id as i64)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM desperation_matches WHERE marked_at < $1")
            .bind(at - DESPERATION_MARK_DAYS * 86_400)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn is_desperation_match(&self, game_id: u64) -> Result<bool, StoreError> {
        let _timer = self.timer("is_desperation_match");
        let found: Option<i64> =
            sqlx::query_scalar("SELECT game_id FROM desperation_matches WHERE game_id = $1")
                .bind(game_id as i64)
                .fetch_optional(&self.reads)
                .await?;
        Ok(found.is_some())
    }
}
