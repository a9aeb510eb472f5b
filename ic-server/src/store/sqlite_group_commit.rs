//! Group commit for certified matches on SQLite: concurrent ingests share one transaction, one
//! statement per table and one fsync, and each caller is answered only after the commit.
//!
//! Why: with `synchronous=FULL` every commit waits for the disk (milliseconds), while the work of
//! an ingest is a few signatures (tens of microseconds). Committing matches one by one would cap
//! throughput at the disk's sync rate; sharing the sync keeps acknowledged results durable and
//! lets throughput follow the cryptography under concurrent load.

use std::collections::HashMap;

use scr::PlayerKey;
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::sqlite_changes::{current_sequences, records_of_matches, write_player_changes};
use super::{Applied, IssuedRecord, MatchChange, PlayerChange, StoreError};

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

/// One transaction for the whole batch, written with one statement per table; a change that
/// conflicts or was applied before is left out and leaves the others untouched.
async fn commit(pool: &SqlitePool, batch: &[Pending]) -> Result<Vec<Applied>, StoreError> {
    let changes: Vec<&MatchChange> = batch.iter().map(|pending| &pending.change).collect();
    // IMMEDIATE: take the write lock before reading the state the batch is checked against,
    // so another process cannot change it in between.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let ids: Vec<[u8; 32]> = changes.iter().map(|change| change.match_id).collect();
    let mut stored = records_of_matches(&mut tx, &ids).await?;
    let players: Vec<PlayerKey> = changes
        .iter()
        .flat_map(|change| change.players.iter().map(|p| p.player_key))
        .collect();
    let mut sequences = current_sequences(&mut tx, &players).await?;
    let settled = settle(&changes, &stored, &mut sequences);

    let accepted: Vec<&MatchChange> = changes
        .iter()
        .zip(&settled)
        .filter(|(_, settled)| matches!(settled, Settled::Apply))
        .map(|(change, _)| *change)
        .collect();
    let player_changes: Vec<&PlayerChange> =
        accepted.iter().flat_map(|change| &change.players).collect();
    write_player_changes(&mut tx, &player_changes).await?;
    insert_processed(&mut tx, &accepted).await?;
    tx.commit().await?;

    Ok(settled
        .into_iter()
        .zip(&changes)
        .map(|(settled, change)| match settled {
            Settled::Apply => Applied::Done,
            Settled::Conflict => Applied::Conflict,
            Settled::Stored => {
                Applied::AlreadyApplied(stored.remove(&change.match_id).unwrap_or_default())
            }
            Settled::EarlierInBatch(index) => {
                let mut records: Vec<IssuedRecord> = changes[index]
                    .players
                    .iter()
                    .flat_map(|p| p.records.iter().cloned())
                    .collect();
                records.sort_by_key(|record| (record.player_key, record.sequence));
                Applied::AlreadyApplied(records)
            }
        })
        .collect())
}

/// What becomes of one change of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// Written with the batch.
    Apply,
    /// Applied by an earlier transaction.
    Stored,
    /// The same match as the change at this index of the batch, which is applied.
    EarlierInBatch(usize),
    /// A player's sequence is not the one the change was planned against.
    Conflict,
}

/// Decides each change of a batch in order, as if they were applied one by one: `sequences`
/// starts as the database's and follows every change accepted.
fn settle(
    changes: &[&MatchChange],
    stored: &HashMap<[u8; 32], Vec<IssuedRecord>>,
    sequences: &mut HashMap<PlayerKey, u64>,
) -> Vec<Settled> {
    let mut applied_here: HashMap<[u8; 32], usize> = HashMap::new();
    let mut settled = Vec::with_capacity(changes.len());
    for (index, change) in changes.iter().enumerate() {
        if stored.contains_key(&change.match_id) {
            settled.push(Settled::Stored);
            continue;
        }
        if let Some(&earlier) = applied_here.get(&change.match_id) {
            settled.push(Settled::EarlierInBatch(earlier));
            continue;
        }
        let fits = change.players.iter().all(|player| {
            sequences.get(&player.player_key) == Some(&player.expected_last_sequence)
        });
        if !fits {
            settled.push(Settled::Conflict);
            continue;
        }
        for player in &change.players {
            sequences.insert(player.player_key, player.new_last_sequence);
        }
        applied_here.insert(change.match_id, index);
        settled.push(Settled::Apply);
    }
    settled
}

async fn insert_processed(
    conn: &mut SqliteConnection,
    accepted: &[&MatchChange],
) -> Result<(), StoreError> {
    for chunk in accepted.chunks(MAX_BATCH) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO processed_matches \
             (match_id, cmr, participants_hash, played_at, accepted_at, rated) ",
        );
        query.push_values(chunk, |mut row, change| {
            row.push_bind(change.match_id.to_vec())
                .push_bind(change.cmr.clone())
                .push_bind(change.participants_hash.to_vec())
                .push_bind(change.played_at)
                .push_bind(change.accepted_at)
                .push_bind(i64::from(change.rated));
        });
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(byte: u8, expected: u64) -> PlayerChange {
        PlayerChange {
            player_key: PlayerKey::from_bytes([byte; 32]),
            expected_last_sequence: expected,
            new_last_sequence: expected + 2,
            ratings: Vec::new(),
            records: Vec::new(),
            opponents: Vec::new(),
            revocation: None,
        }
    }

    fn change(id: u8, players: Vec<PlayerChange>) -> MatchChange {
        MatchChange {
            match_id: [id; 32],
            cmr: Vec::new(),
            participants_hash: [0; 32],
            played_at: 0,
            accepted_at: 0,
            rated: true,
            players,
        }
    }

    #[test]
    fn a_batch_settles_as_if_applied_one_by_one() {
        let a = PlayerKey::from_bytes([1; 32]);
        let b = PlayerKey::from_bytes([2; 32]);
        let mut sequences = HashMap::from([(a, 4), (b, 0)]);
        let stored = HashMap::from([([9; 32], Vec::new())]);
        let first = change(1, vec![player(1, 4), player(2, 0)]);
        // Planned against a's sequence after the first match: fits once that one is applied.
        let chained = change(2, vec![player(1, 6)]);
        // Planned against the old sequence: conflicts with the first match.
        let stale = change(3, vec![player(2, 0)]);
        let again = change(1, vec![player(1, 4), player(2, 0)]);
        let old = change(9, vec![player(1, 4)]);
        let unknown = change(4, vec![player(7, 0)]);
        let batch = [&first, &chained, &stale, &again, &old, &unknown];
        let settled = settle(&batch, &stored, &mut sequences);
        assert_eq!(
            settled,
            vec![
                Settled::Apply,
                Settled::Apply,
                Settled::Conflict,
                Settled::EarlierInBatch(0),
                Settled::Stored,
                Settled::Conflict,
            ]
        );
        assert_eq!(sequences[&a], 8);
        assert_eq!(sequences[&b], 2);
    }
}
