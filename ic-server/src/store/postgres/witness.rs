//! [`WitnessLog`] on Postgres: one row per witnessed log, moved forward by a single
//! conditional upsert, so the check of the old size and the write are one atomic step.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::witness::{
    WITNESSED_SQL, WitnessLog, WitnessedCheckpoint, advance_sql, stored_size, witnessed_of,
};

#[async_trait]
impl WitnessLog for PostgresStore {
    async fn witnessed(&self, origin: &str) -> Result<Option<WitnessedCheckpoint>, StoreError> {
        let _timer = self.timer("witnessed");
        let row = sqlx::query(WITNESSED_SQL)
            .bind(origin)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| witnessed_of(&row)).transpose()
    }

    async fn advance_witnessed(
        &self,
        old_size: u64,
        checkpoint: &WitnessedCheckpoint,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("advance_witnessed");
        let advanced = sqlx::query(advance_sql(old_size))
            .bind(&checkpoint.origin)
            .bind(stored_size(checkpoint.tree_size)?)
            .bind(checkpoint.root.as_slice())
            .bind(&checkpoint.note)
            .bind(checkpoint.cosigned_at)
            .bind(stored_size(old_size)?)
            .execute(&self.pool)
            .await?;
        Ok(advanced.rows_affected() == 1)
    }
}
