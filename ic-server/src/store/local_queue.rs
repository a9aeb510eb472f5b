//! The shared-queue seam for one process (the SQLite backend): requests wait in memory, the
//! process always leads, and messages go out on an in-process broadcast channel.
//!
//! Going through the same seam as PostgreSQL keeps one matchmaker code path. The saved state
//! goes to the database's `matchmaking_state`, so a restarted server resumes its queue.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sqlx::SqlitePool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};

use super::StoreError;
use super::shared_queue::{Leadership, Notification, Notifications, PendingRequest, SharedQueue};

/// Notifications buffered for the slowest listener before it misses old ones (as a lost
/// `NOTIFY` would be missed).
const BUFFER: usize = 4096;

#[derive(Debug, Default)]
struct Inner {
    next_seq: i64,
    requests: VecDeque<PendingRequest>,
}

/// Requests and messages of a matchmaker that runs in one process.
#[derive(Debug, Clone)]
pub struct LocalQueue {
    inner: Arc<Mutex<Inner>>,
    notify: broadcast::Sender<Notification>,
    lead: Arc<Semaphore>,
    /// Where the leader's state is saved (the SQLite store's write connection).
    database: SqlitePool,
}

impl LocalQueue {
    /// A queue whose leader saves its state in `database`.
    pub fn new(database: SqlitePool) -> Self {
        Self {
            inner: Arc::default(),
            notify: broadcast::channel(BUFFER).0,
            lead: Arc::new(Semaphore::new(1)),
            database,
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl SharedQueue for LocalQueue {
    async fn submit(&self, body: &str) -> Result<(), StoreError> {
        {
            let mut inner = self.inner();
            inner.next_seq += 1;
            let seq = inner.next_seq;
            inner.requests.push_back(PendingRequest {
                seq,
                body: body.to_owned(),
            });
        }
        // No listener yet is fine: the request waits for the leader's next look.
        let _ = self.notify.send(Notification::Request);
        Ok(())
    }

    async fn listen(&self) -> Result<Box<dyn Notifications>, StoreError> {
        Ok(Box::new(LocalNotifications(self.notify.subscribe())))
    }

    async fn try_lead(
        &self,
        _failover_secs: u64,
    ) -> Result<Option<Box<dyn Leadership>>, StoreError> {
        let Ok(permit) = self.lead.clone().try_acquire_owned() else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT OR REPLACE INTO matchmaking_leader (id, holder, backend_pid, heartbeat_at) \
             VALUES (1, ?, ?, ?)",
        )
        .bind(super::shared_queue::holder_name())
        .bind(i64::from(std::process::id()))
        .bind(crate::clock::unix_now())
        .execute(&self.database)
        .await?;
        Ok(Some(Box::new(LocalLeadership {
            queue: self.clone(),
            _permit: permit,
        })))
    }
}

struct LocalNotifications(broadcast::Receiver<Notification>);

#[async_trait]
impl Notifications for LocalNotifications {
    async fn next(&mut self) -> Result<Notification, StoreError> {
        loop {
            match self.0.recv().await {
                Ok(notification) => return Ok(notification),
                // Missed messages are lost, as with NOTIFY; a missed request wake-up is
                // repaired by the leader's periodic look at the pending requests.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(StoreError::Unavailable(
                        "the matchmaking queue closed".into(),
                    ));
                }
            }
        }
    }
}

struct LocalLeadership {
    queue: LocalQueue,
    _permit: OwnedSemaphorePermit,
}

#[async_trait]
impl Leadership for LocalLeadership {
    async fn load(&mut self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT state FROM matchmaking_state WHERE id = 1")
                .fetch_optional(&self.queue.database)
                .await?,
        )
    }

    async fn pending(&mut self, limit: i64) -> Result<Vec<PendingRequest>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(0);
        Ok(self
            .queue
            .inner()
            .requests
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn save(
        &mut self,
        state: Option<&str>,
        applied: &[i64],
        messages: &[String],
    ) -> Result<(), StoreError> {
        // Saved before anything is told, as on PostgreSQL.
        if let Some(state) = state {
            sqlx::query(
                "INSERT OR REPLACE INTO matchmaking_state (id, state, saved_at) VALUES (1, ?, ?)",
            )
            .bind(state)
            .bind(crate::clock::unix_now())
            .execute(&self.queue.database)
            .await?;
        }
        self.queue
            .inner()
            .requests
            .retain(|r| !applied.contains(&r.seq));
        for message in messages {
            let _ = self
                .queue
                .notify
                .send(Notification::Message(message.clone()));
        }
        Ok(())
    }

    async fn heartbeat(&mut self) -> Result<(), StoreError> {
        // No other process watches a SQLite leader: a write every few seconds would buy nothing.
        Ok(())
    }
}
