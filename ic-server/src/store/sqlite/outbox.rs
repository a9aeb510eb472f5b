//! [`OutboxStore`] for SQLite: reads on the read pool, each change one statement on the single
//! write connection, so a concurrent delivery attempt and retry settle an entry once.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::outbox::{OUTBOX_COLUMNS, OutboxEntry, OutboxState, OutboxStore, entry_from_row};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn enqueue(&self, match_id: &[u8; 32], cmr: &[u8], now: i64) -> Result<bool, StoreError> {
        let _timer = self.timer("outbox_enqueue");
        let done = sqlx::query(
            "INSERT INTO relay_outbox (match_id, cmr, state, enqueued_at, attempts, \
             next_attempt_at) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
        )
        .bind(match_id.as_slice())
        .bind(cmr)
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn due(&self, now: i64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let _timer = self.timer("outbox_due");
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM relay_outbox WHERE state = ? AND next_attempt_at <= ? \
             ORDER BY next_attempt_at, enqueued_at, match_id LIMIT ?"
        ))
        .bind(OutboxState::Pending.name())
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(entry_from_row).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).await.unwrap();
        (dir, store)
    }

    fn ids(entries: &[OutboxEntry]) -> Vec<u8> {
        entries.iter().map(|e| e.match_id[0]).collect()
    }

    #[tokio::test]
    async fn enqueue_is_idempotent_on_the_match_id() {
        let (_dir, store) = store().await;
        assert!(store.enqueue(&[1; 32], b"first", 100).await.unwrap());
        assert!(!store.enqueue(&[1; 32], b"other", 200).await.unwrap());
        let entry = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
        assert_eq!(entry.cmr, b"first");
        assert_eq!(entry.state, OutboxState::Pending);
        assert_eq!((entry.enqueued_at, entry.next_attempt_at), (100, 100));
        assert_eq!(entry.attempts, 0);
        assert_eq!(store.pending_count().await.unwrap(), 1);
        // Delivered, a second enqueue of the same match still changes nothing.
        assert!(store.mark_delivered(&[1; 32], 150).await.unwrap());
        assert!(!store.enqueue(&[1; 32], b"first", 300).await.unwrap());
        let entry = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
        assert_eq!(entry.state, OutboxState::Delivered);
        assert_eq!(store.pending_count().await.unwrap(), 0);
        assert_eq!(store.outbox_entry(&[9; 32]).await.unwrap(), None);
    }

    #[tokio::test]
    async fn due_entries_come_soonest_first_and_failed_ones_wait_for_their_backoff() {
        let (_dir, store) = store().await;
        store.enqueue(&[3; 32], b"c", 30).await.unwrap();
        store.enqueue(&[1; 32], b"a", 10).await.unwrap();
        store.enqueue(&[2; 32], b"b", 20).await.unwrap();
        assert_eq!(ids(&store.due(5, 10).await.unwrap()), Vec::<u8>::new());
        assert_eq!(ids(&store.due(25, 10).await.unwrap()), vec![1, 2]);
        assert_eq!(ids(&store.due(100, 10).await.unwrap()), vec![1, 2, 3]);
        assert_eq!(ids(&store.due(100, 2).await.unwrap()), vec![1, 2]);

        // The oldest failed: it waits until 160 and comes after those due earlier.
        assert!(
            store
                .mark_failed(&[1; 32], 1, 160, "connection refused")
                .await
                .unwrap()
        );
        assert_eq!(ids(&store.due(100, 10).await.unwrap()), vec![2, 3]);
        assert_eq!(ids(&store.due(160, 10).await.unwrap()), vec![2, 3, 1]);
        let failed = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
        assert_eq!(failed.attempts, 1);
        assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
        assert_eq!(failed.state, OutboxState::Pending);
        assert_eq!(store.pending_count().await.unwrap(), 3);
    }

    #[tokio::test]
    async fn refused_and_delivered_entries_are_never_due_again() {
        let (_dir, store) = store().await;
        store.enqueue(&[1; 32], b"a", 10).await.unwrap();
        store.enqueue(&[2; 32], b"b", 10).await.unwrap();
        assert!(
            store
                .mark_refused(&[1; 32], "403 untrusted_relay", 11)
                .await
                .unwrap()
        );
        assert!(store.mark_delivered(&[2; 32], 12).await.unwrap());
        assert!(store.due(i64::MAX, 10).await.unwrap().is_empty());
        assert_eq!(store.pending_count().await.unwrap(), 0);
        // Settled entries do not change state again.
        assert!(!store.mark_failed(&[1; 32], 2, 50, "late").await.unwrap());
        assert!(!store.mark_delivered(&[1; 32], 13).await.unwrap());
        assert!(!store.mark_refused(&[2; 32], "late", 13).await.unwrap());
        let refused = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
        assert_eq!(refused.state, OutboxState::Refused);
        assert_eq!(refused.last_error.as_deref(), Some("403 untrusted_relay"));
        assert_eq!(refused.settled_at, Some(11));

        // Pruning drops old delivered entries only; the refused one stays for the operator.
        assert_eq!(store.prune_delivered(12).await.unwrap(), 0);
        assert_eq!(store.prune_delivered(13).await.unwrap(), 1);
        assert_eq!(store.outbox_entry(&[2; 32]).await.unwrap(), None);
        assert!(store.outbox_entry(&[1; 32]).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_operator_lists_entries_and_requeues_a_refused_one() {
        let (_dir, store) = store().await;
        store.enqueue(&[2; 32], b"b", 20).await.unwrap();
        store.enqueue(&[1; 32], b"a", 10).await.unwrap();
        store.enqueue(&[3; 32], b"c", 30).await.unwrap();
        store.mark_failed(&[1; 32], 4, 99, "down").await.unwrap();
        store.mark_refused(&[3; 32], "403", 31).await.unwrap();
        let pending = store
            .outbox_entries(OutboxState::Pending, 10)
            .await
            .unwrap();
        assert_eq!(ids(&pending), vec![1, 2]);
        let refused = store
            .outbox_entries(OutboxState::Refused, 10)
            .await
            .unwrap();
        assert_eq!(ids(&refused), vec![3]);

        // Only a refused entry can be requeued; it is due at once with a fresh count.
        assert!(!store.requeue_refused(&[1; 32], 40).await.unwrap());
        assert!(store.requeue_refused(&[3; 32], 40).await.unwrap());
        let entry = store.outbox_entry(&[3; 32]).await.unwrap().unwrap();
        assert_eq!(entry.state, OutboxState::Pending);
        assert_eq!((entry.attempts, entry.next_attempt_at), (0, 40));
        assert_eq!(entry.settled_at, None);
        assert_eq!(ids(&store.due(40, 10).await.unwrap()), vec![2, 3]);
    }
}
