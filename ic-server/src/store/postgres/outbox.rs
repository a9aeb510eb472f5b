//! [`OutboxStore`] for PostgreSQL: each change one conditional statement, so a concurrent
//! delivery attempt and retry settle an entry once, whichever process makes them.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::outbox::{
    OUTBOX_COLUMNS, OutboxEntry, OutboxRoute, OutboxState, OutboxStore, entry_from_row,
};

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn enqueue(
        &self,
        match_id: &[u8; 32],
        cmr: &[u8],
        route: OutboxRoute,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_enqueue");
        let done = sqlx::query(
            "INSERT INTO relay_outbox (match_id, cmr, state, enqueued_at, attempts, \
             next_attempt_at, route) VALUES ($1, $2, $3, $4, 0, $5, $6) \
             ON CONFLICT DO NOTHING",
        )
        .bind(match_id.as_slice())
        .bind(cmr)
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(now)
        .bind(route.name())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn due(&self, now: i64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_due");
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE state = $1 \
             AND next_attempt_at <= $2 AND route = 'remote' \
             ORDER BY next_attempt_at, enqueued_at, match_id LIMIT $3"
        ))
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn claim_local(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_claim_local");
        // SKIP LOCKED: processes claiming at the same moment take different entries instead of
        // waiting for each other's rows.
        let rows = sqlx::query(&format!(
            "UPDATE relay_outbox SET next_attempt_at = $3, attempts = attempts + 1 \
             WHERE match_id IN (SELECT match_id FROM relay_outbox \
               WHERE route = 'local' AND state = $1 AND next_attempt_at <= $2 \
               ORDER BY next_attempt_at, enqueued_at, match_id LIMIT $4 \
               FOR UPDATE SKIP LOCKED) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(now.saturating_add(lease_secs))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort_by_key(|entry| (entry.enqueued_at, entry.match_id));
        Ok(entries)
    }

    async fn mark_delivered(&self, match_id: &[u8; 32], now: i64) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_mark_delivered");
        let done = sqlx::query(
            "UPDATE relay_outbox SET state = $1, settled_at = $2 WHERE match_id = $3 AND state = $4",
        )
        .bind(OutboxState::Delivered.name())
        .bind(now)
        .bind(match_id.as_slice())
        .bind(OutboxState::Pending.name())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn mark_failed(
        &self,
        match_id: &[u8; 32],
        attempts: u32,
        next_attempt_at: i64,
        last_error: &str,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_mark_failed");
        let done = sqlx::query(
            "UPDATE relay_outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 \
             WHERE match_id = $4 AND state = $5",
        )
        .bind(i64::from(attempts))
        .bind(next_attempt_at)
        .bind(last_error)
        .bind(match_id.as_slice())
        .bind(OutboxState::Pending.name())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn mark_refused(
        &self,
        match_id: &[u8; 32],
        error: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_mark_refused");
        let done = sqlx::query(
            "UPDATE relay_outbox SET state = $1, last_error = $2, settled_at = $3 \
             WHERE match_id = $4 AND state = $5",
        )
        .bind(OutboxState::Refused.name())
        .bind(error)
        .bind(now)
        .bind(match_id.as_slice())
        .bind(OutboxState::Pending.name())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn pending_count(&self) -> Result<u64, StoreError> {
        let _timer = self.timer("outbox_pending_count");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM relay_outbox WHERE state = $1")
            .bind(OutboxState::Pending.name())
            .fetch_one(&self.pool)
            .await?;
        u64::try_from(count).map_err(|_| StoreError::Corrupt(format!("outbox count {count}")))
    }

    async fn outbox_entry(&self, match_id: &[u8; 32]) -> Result<Option<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_entry");
        sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE match_id = $1"
        ))
        .bind(match_id.as_slice())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(entry_from_row)
        .transpose()
    }

    async fn prune_delivered(&self, before: i64) -> Result<u64, StoreError> {
        let _timer = self.timer("outbox_prune");
        let done = sqlx::query("DELETE FROM relay_outbox WHERE state = $1 AND settled_at < $2")
            .bind(OutboxState::Delivered.name())
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn outbox_entries(
        &self,
        state: OutboxState,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_entries");
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE state = $1 \
             ORDER BY enqueued_at, match_id LIMIT $2"
        ))
        .bind(state.name())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn requeue_refused(&self, match_id: &[u8; 32], now: i64) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_requeue");
        let done = sqlx::query(
            "UPDATE relay_outbox SET state = $1, attempts = 0, next_attempt_at = $2, \
             settled_at = NULL WHERE match_id = $3 AND state = $4",
        )
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(match_id.as_slice())
        .bind(OutboxState::Refused.name())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
