//! [`Abandons`] for PostgreSQL.

use async_trait::async_trait;
use scr::PlayerKey;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::abandons::{ABANDON_COLUMNS, Abandon, Abandons, abandon_from_row};

#[async_trait]
impl Abandons for PostgresStore {
    async fn abandons_since(
        &self,
        player: &PlayerKey,
        since: i64,
    ) -> Result<Vec<Abandon>, StoreError> {
        let _timer = self.timer("abandons_since");
        let rows = sqlx::query(&format!(
            "SELECT {ABANDON_COLUMNS} FROM abandons WHERE player_key = $1 AND at >= $2 \
             ORDER BY at, match_id"
        ))
        .bind(player.as_bytes().as_slice())
        .bind(since)
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(abandon_from_row).collect()
    }
}
