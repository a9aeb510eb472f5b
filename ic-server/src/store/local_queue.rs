//! The shared-queue seam for one process (the SQLite backend): requests wait in memory, the
//! process always leads, and messages go out on an in-process broadcast channel.
//!
//! Going through the same seam as PostgreSQL keeps one matchmaker code path; the saved state
//! is kept in memory, so a restart of the leading task (not of the process) resumes it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
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
    saved: Option<String>,
}

/// Requests and messages of a matchmaker that runs in one process.
#[derive(Debug, Clone)]
pub struct LocalQueue {
    inner: Arc<Mutex<Inner>>,
    notify: broadcast::Sender<Notification>,
    lead: Arc<Semaphore>,
}

impl Default for LocalQueue {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            notify: broadcast::channel(BUFFER).0,
            lead: Arc::new(Semaphore::new(1)),
        }
    }
}

impl LocalQueue {
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
        Ok(self
            .lead
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|permit| -> Box<dyn Leadership> {
                Box::new(LocalLeadership {
                    queue: self.clone(),
                    _permit: permit,
                })
            }))
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
        Ok(self.queue.inner().saved.clone())
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
        state: &str,
        applied: &[i64],
        messages: &[String],
    ) -> Result<(), StoreError> {
        {
            let mut inner = self.queue.inner();
            inner.saved = Some(state.to_owned());
            inner.requests.retain(|r| !applied.contains(&r.seq));
        }
        for message in messages {
            let _ = self
                .queue
                .notify
                .send(Notification::Message(message.clone()));
        }
        Ok(())
    }

    async fn heartbeat(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}
