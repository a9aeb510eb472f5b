//! Group commit for certified matches on SQLite: concurrent ingests share one transaction and
//! one fsync, each inside its own savepoint, and each caller is answered only after the commit.
//!
//! Why: with `synchronous=FULL` every commit waits for the disk (milliseconds), while the work of
//! an ingest is a few signatures (tens of microseconds). Committing matches one by one would cap
//! throughput at the disk's sync rate; sharing the sync keeps acknowledged results durable and
//! lets throughput follow the cryptography under concurrent load.

use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::sqlite::write_match_change;
use super::{Applied, MatchChange, StoreError};

/// Most matches committed together.
const MAX_BATCH: usize = 64;

struct Pending {
    change: MatchChange,
    reply: oneshot::Sender<Result<Applied, StoreError>>,
}

/// Handle to the writer task.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer on the current tokio runtime.
    pub(super) fn start(pool: SqlitePool) -> Self {
        // Bounded so that a flood of submissions waits here instead of growing memory.
        let (queue, receiver) = mpsc::channel(1024);
        tokio::spawn(writer(pool, receiver));
        Self { queue }
    }

    /// Applies `change` in the next shared transaction; returns after it committed.
    pub(super) async fn apply(&self, change: MatchChange) -> Result<Applied, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { change, reply })
            .await
            .map_err(|_| StoreError::WriteFailed("the database writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::WriteFailed("the database writer has stopped".into()))?
    }
}

async fn writer(pool: SqlitePool, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match commit(&pool, &batch).await {
            Ok(outcomes) => {
                for (pending, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = pending.reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                tracing::error!(%error, "group commit failed; no match of the batch was applied");
                let message = error.to_string();
                for pending in batch {
                    let _ = pending
                        .reply
                        .send(Err(StoreError::WriteFailed(message.clone())));
                }
            }
        }
    }
}

/// One transaction for the whole batch; a change that conflicts or was applied before is
/// rolled back to its savepoint and leaves the others untouched.
async fn commit(pool: &SqlitePool, batch: &[Pending]) -> Result<Vec<Applied>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for pending in batch {
        sqlx::query("SAVEPOINT one_match").execute(&mut *tx).await?;
        let outcome = write_match_change(&mut tx, &pending.change).await?;
        if outcome != Applied::Done {
            sqlx::query("ROLLBACK TO SAVEPOINT one_match")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("RELEASE SAVEPOINT one_match")
            .execute(&mut *tx)
            .await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
