//! Group commit for certified matches on PostgreSQL: the concurrent ingests of one process share
//! one transaction and one WAL flush, and each caller is answered only after the commit.
//!
//! Why: with synchronous commit every transaction waits for its WAL flush, and every statement
//! is a network round trip; a transaction per match made PostgreSQL ingest a third as fast as
//! SQLite's (which batches). One task owns one connection and writes whatever arrived while the
//! previous batch committed, up to [`MAX_BATCH`] matches, in four round trips (`batch`).
//!
//! The task runs on a thread of its own (with a single-threaded runtime), as SQLite's writer
//! does: on the server's runtime its four round trips each waited behind the CPU-heavy ingests
//! (signing) queued there, which made a batch take several milliseconds of queueing alone.
//!
//! The connection is the task's own, outside the pool: it stays open between batches (no ping
//! before each), and closing the pool does not wait for it. After any failure it is dropped
//! and the next batch opens a new one, so a lost connection costs the batch in flight (whose
//! callers all get the error, with nothing written) and nothing after it.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::{mpsc, oneshot};

use super::batch::{BatchError, commit_batch};
use crate::store::{Applied, MatchChange, StoreError};

/// Most matches committed together (as on SQLite).
const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Applied, StoreError>>;

/// Handle to the writer thread; the thread ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<(MatchChange, Reply)>,
}

impl GroupCommit {
    /// Starts the writer thread, which connects with `options` when the first match arrives
    /// and gives up on a connection attempt after `connect_timeout`.
    pub(super) fn start(
        options: PgConnectOptions,
        connect_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let no_writer = |error: std::io::Error| {
            StoreError::WriteFailed(format!("no database writer thread: {error}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(no_writer)?;
        // Bounded so that a flood of submissions waits here instead of growing memory.
        let (queue, receiver) = mpsc::channel(1024);
        std::thread::Builder::new()
            .name("postgres-writer".into())
            .spawn(move || runtime.block_on(writer(options, connect_timeout, receiver)))
            .map_err(no_writer)?;
        Ok(Self { queue })
    }

    /// Applies `change` in the next shared transaction; returns after it committed.
    pub(super) async fn apply_match(&self, change: MatchChange) -> Result<Applied, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((change, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::WriteFailed("the database writer has stopped".into())
}

async fn writer(
    options: PgConnectOptions,
    connect_timeout: Duration,
    mut receiver: mpsc::Receiver<(MatchChange, Reply)>,
) {
    let mut conn: Option<PgConnection> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let changes: Vec<&MatchChange> = batch.iter().map(|(change, _)| change).collect();
        let reused = conn.is_some();
        let mut outcome = commit_on(&mut conn, &options, connect_timeout, &changes).await;
        if reused && matches!(outcome, Err(BatchError::Begin(_))) {
            // The kept connection died while idle (a database restart, a terminated backend):
            // nothing of the batch was sent, so it goes once more on a new connection.
            conn = None;
            outcome = commit_on(&mut conn, &options, connect_timeout, &changes).await;
        }
        let outcome =
            outcome.map_err(|(BatchError::Begin(error) | BatchError::Failed(error))| error);
        match outcome {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                tracing::error!(%error, "group commit failed; no match of the batch was applied");
                // Whatever state the connection is in, the next batch starts on a new one.
                conn = None;
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Commits `changes` on the writer's connection, opened first if there is none.
async fn commit_on(
    conn: &mut Option<PgConnection>,
    options: &PgConnectOptions,
    timeout: Duration,
    changes: &[&MatchChange],
) -> Result<Vec<Applied>, BatchError> {
    let open = connected(conn, options, timeout)
        .await
        .map_err(BatchError::Failed)?;
    commit_batch(open, changes).await
}

/// The writer's connection, opened first if there is none.
async fn connected<'c>(
    conn: &'c mut Option<PgConnection>,
    options: &PgConnectOptions,
    timeout: Duration,
) -> Result<&'c mut PgConnection, StoreError> {
    if conn.is_none() {
        let opened = tokio::time::timeout(timeout, PgConnection::connect_with(options))
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!(
                    "no connection to the database within {} s",
                    timeout.as_secs()
                ))
            })??;
        *conn = Some(opened);
    }
    conn.as_mut()
        .ok_or_else(|| StoreError::Unavailable("no connection to the database".into()))
}
