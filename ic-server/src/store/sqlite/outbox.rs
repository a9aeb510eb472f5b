//! [`OutboxStore`] for SQLite: reads on the read pool, each change one statement on the single
//! write connection, so a concurrent delivery attempt and retry settle an entry once.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::outbox::{
    OUTBOX_COLUMNS, OutboxEntry, OutboxRoute, OutboxState, OutboxStore, entry_from_row,
};

#[async_trait]
impl OutboxStore for SqliteStore {
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
             next_attempt_at, route) VALUES (?, ?, ?, ?, 0, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(match_id.as_slice())
        .bind(cmr)
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(now)
        .bind(route.name())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn due(&self, now: i64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_due");
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE state = ? \
             AND next_attempt_at <= ? AND route = 'remote' \
             ORDER BY next_attempt_at, enqueued_at, match_id LIMIT ?"
        ))
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
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
        // One statement on the single write connection: two claimers never get the same entry.
        let rows = sqlx::query(&format!(
            "UPDATE relay_outbox SET next_attempt_at = ?, attempts = attempts + 1 \
             WHERE match_id IN (SELECT match_id FROM relay_outbox \
               WHERE route = 'local' AND state = ? AND next_attempt_at <= ? \
               ORDER BY next_attempt_at, enqueued_at, match_id LIMIT ?) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(now.saturating_add(lease_secs))
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.write)
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
            "UPDATE relay_outbox SET state = ?, settled_at = ? WHERE match_id = ? AND state = ?",
        )
        .bind(OutboxState::Delivered.name())
        .bind(now)
        .bind(match_id.as_slice())
        .bind(OutboxState::Pending.name())
        .execute(&self.write)
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
            "UPDATE relay_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? \
             WHERE match_id = ? AND state = ?",
        )
        .bind(i64::from(attempts))
        .bind(next_attempt_at)
        .bind(last_error)
        .bind(match_id.as_slice())
        .bind(OutboxState::Pending.name())
        .execute(&self.write)
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
            "UPDATE relay_outbox SET state = ?, last_error = ?, settled_at = ? \
             WHERE match_id = ? AND state = ?",
        )
        .bind(OutboxState::Refused.name())
        .bind(error)
        .bind(now)
        .bind(match_id.as_slice())
        .bind(OutboxState::Pending.name())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn pending_count(&self) -> Result<u64, StoreError> {
        let _timer = self.timer("outbox_pending_count");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM relay_outbox WHERE state = ?")
            .bind(OutboxState::Pending.name())
            .fetch_one(&self.read)
            .await?;
        u64::try_from(count).map_err(|_| StoreError::Corrupt(format!("outbox count {count}")))
    }

    async fn outbox_entry(&self, match_id: &[u8; 32]) -> Result<Option<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_entry");
        sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE match_id = ?"
        ))
        .bind(match_id.as_slice())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(entry_from_row)
        .transpose()
    }

    async fn prune_delivered(&self, before: i64) -> Result<u64, StoreError> {
        let _timer = self.timer("outbox_prune");
        let done = sqlx::query("DELETE FROM relay_outbox WHERE state = ? AND settled_at < ?")
            .bind(OutboxState::Delivered.name())
            .bind(before)
            .execute(&self.write)
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
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE state = ? \
             ORDER BY enqueued_at, match_id LIMIT ?"
        ))
        .bind(state.name())
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn requeue_refused(&self, match_id: &[u8; 32], now: i64) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_requeue");
        let done = sqlx::query(
            "UPDATE relay_outbox SET state = ?, attempts = 0, next_attempt_at = ?, \
             settled_at = NULL WHERE match_id = ? AND state = ?",
        )
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(match_id.as_slice())
        .bind(OutboxState::Refused.name())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
