//! Group commit for certified matches on SQLite: concurrent ingests share one transaction and
//! one fsync, and each caller is answered only after the commit.
//!
//! Why: with `synchronous=FULL` every commit waits for the disk (milliseconds), while the work of
//! an ingest is a few signatures (tens of microseconds). Committing matches one by one would cap
//! throughput at the disk's sync rate; sharing the sync keeps acknowledged results durable and
//! lets throughput follow the cryptography under concurrent load.
//!
//! The writer is a dedicated OS thread that owns a direct SQLite connection (see
//! `direct`): callers hand it their change over a channel and wait on a oneshot reply,
//! one hand-off each way, where sqlx would add one per statement. Registrations and one-player
//! changes go through the same queue, so every credential-issuing write is serialized here
//! instead of contending for SQLite's lock.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::changes::{insert_processed, write_player_changes};
use super::direct::{current_sequence, open_writer, records_of_match};
use crate::store::columns::seq;
use crate::store::settle::{accepted, answers, settle};
use crate::store::{Applied, MatchChange, PlayerChange, Registered, Registration, StoreError};

/// Most matches committed together.
const MAX_BATCH: usize = 64;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A write waiting for the writer thread.
enum Job {
    Match(Box<MatchChange>, Reply<Applied>),
    Player(Box<PlayerChange>, Reply<Applied>),
    Register(Box<Registration>, Reply<Registered>),
    Rotation(Box<Rotation>, Reply<()>),
}

/// A key rotation record to keep, with its leaf in the transparency log.
struct Rotation {
    sequence: u64,
    record: Vec<u8>,
    now: i64,
}

/// Handle to the writer thread; the thread ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Opens the writer's connection to the database at `path` and starts its thread.
    pub(super) fn start(path: &Path) -> Result<Self, StoreError> {
        let mut conn = open_writer(path)?;
        // Records issued before the transparency log existed get their leaves first.
        super::log::backfill(&mut conn)?;
        // Bounded so that a flood of submissions waits here instead of growing memory.
        let (queue, receiver) = mpsc::channel(1024);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(conn, receiver))
            .map_err(|error| StoreError::WriteFailed(format!("no writer thread: {error}")))?;
        Ok(Self { queue })
    }

    /// Applies `change` in the next shared transaction; returns after it committed.
    pub(super) async fn apply_match(&self, change: MatchChange) -> Result<Applied, StoreError> {
        self.submit(|reply| Job::Match(Box::new(change), reply))
            .await
    }

    /// Applies a one-player change in its own transaction if its sequence still matches.
    pub(super) async fn apply_player_change(
        &self,
        change: PlayerChange,
    ) -> Result<Applied, StoreError> {
        self.submit(|reply| Job::Player(Box::new(change), reply))
            .await
    }

    /// Registers a player in its own transaction.
    pub(super) async fn register(
        &self,
        registration: Registration,
    ) -> Result<Registered, StoreError> {
        self.submit(|reply| Job::Register(Box::new(registration), reply))
            .await
    }

    /// Keeps a key rotation record and appends its leaf, in one transaction.
    pub(super) async fn add_rotation(
        &self,
        sequence: u64,
        record: Vec<u8>,
        now: i64,
    ) -> Result<(), StoreError> {
        let rotation = Rotation {
            sequence,
            record,
            now,
        };
        self.submit(|reply| Job::Rotation(Box::new(rotation), reply))
            .await
    }

    async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(job(reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::WriteFailed("the database writer has stopped".into())
}

fn writer(mut conn: Connection, mut receiver: mpsc::Receiver<Job>) {
    while let Some(first) = receiver.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => jobs.push(next),
                Err(_) => break,
            }
        }
        // Matches that arrived together share a transaction; any other job, in queue order,
        // has its own.
        let mut matches = Vec::new();
        for job in jobs {
            match job {
                Job::Match(change, reply) => matches.push((*change, reply)),
                Job::Player(change, reply) => {
                    commit_matches(&mut conn, std::mem::take(&mut matches));
                    let _ = reply.send(apply_player_change(&mut conn, &change));
                }
                Job::Register(registration, reply) => {
                    commit_matches(&mut conn, std::mem::take(&mut matches));
                    let _ = reply.send(register(&mut conn, &registration));
                }
                Job::Rotation(rotation, reply) => {
                    commit_matches(&mut conn, std::mem::take(&mut matches));
                    let _ = reply.send(add_rotation(&mut conn, &rotation));
                }
            }
        }
        commit_matches(&mut conn, matches);
    }
}

/// Commits `batch` together and answers each caller.
fn commit_matches(conn: &mut Connection, batch: Vec<(MatchChange, Reply<Applied>)>) {
    if batch.is_empty() {
        return;
    }
    let changes: Vec<&MatchChange> = batch.iter().map(|(change, _)| change).collect();
    match commit(conn, &changes) {
        Ok(outcomes) => {
            for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(error) => {
            tracing::error!(%error, "group commit failed; no match of the batch was applied");
            let message = error.to_string();
            for (_, reply) in batch {
                let _ = reply.send(Err(StoreError::WriteFailed(message.clone())));
            }
        }
    }
}

/// One transaction for the whole batch; a change that conflicts or was applied before is left
/// out and leaves the others untouched.
fn commit(conn: &mut Connection, changes: &[&MatchChange]) -> Result<Vec<Applied>, StoreError> {
    // IMMEDIATE: take the write lock before reading the state the batch is checked against,
    // so another process cannot change it in between.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut stored = HashMap::new();
    let mut sequences = HashMap::new();
    for change in changes {
        if let Some(records) = records_of_match(&tx, &change.match_id)? {
            stored.insert(change.match_id, records);
        }
        for player in &change.players {
            // A player in several matches of the batch is read once: `settle` follows the
            // sequence from there.
            if let Entry::Vacant(slot) = sequences.entry(player.player_key)
                && let Some(sequence) = current_sequence(&tx, &player.player_key)?
            {
                slot.insert(sequence);
            }
        }
    }
    let settled = settle(changes, &stored, &mut sequences);
    let accepted = accepted(changes, &settled);
    let player_changes: Vec<&PlayerChange> =
        accepted.iter().flat_map(|change| &change.players).collect();
    write_player_changes(&tx, &player_changes)?;
    insert_processed(&tx, &accepted)?;
    tx.commit()?;
    Ok(answers(changes, &settled, &stored))
}

fn apply_player_change(
    conn: &mut Connection,
    change: &PlayerChange,
) -> Result<Applied, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if current_sequence(&tx, &change.player_key)? != Some(change.expected_last_sequence) {
        return Ok(Applied::Conflict);
    }
    write_player_changes(&tx, &[change])?;
    tx.commit()?;
    Ok(Applied::Done)
}

/// A new player's rows count in the season running when the registration commits, even if the
/// season changed after the registration was planned (a record that names the old season is
/// then re-issued by the next refresh).
const REGISTERED_IN_RUNNING_SEASON: &str = "UPDATE ratings SET season = \
     COALESCE((SELECT season FROM seasons WHERE ended = 0), season) WHERE player_key = ?1";

fn register(conn: &mut Connection, registration: &Registration) -> Result<Registered, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = registration.change.player_key;
    if current_sequence(&tx, &key)?.is_some() {
        return Ok(Registered::AlreadyRegistered);
    }
    let used: i64 = tx
        .prepare_cached("SELECT count FROM registrations_by_ip WHERE ip = ?1 AND day = ?2")?
        .query_row(
            rusqlite::params![registration.ip, registration.day],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if used >= i64::from(registration.ip_limit) {
        return Ok(Registered::IpLimitReached);
    }
    tx.prepare_cached(
        "INSERT INTO registrations_by_ip (ip, day, count) VALUES (?1, ?2, 1) \
         ON CONFLICT (ip, day) DO UPDATE SET count = registrations_by_ip.count + 1",
    )?
    .execute(rusqlite::params![registration.ip, registration.day])?;
    tx.prepare_cached(
        "INSERT INTO players (player_key, registered_at, last_sequence) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![
        key.as_bytes().as_slice(),
        registration.registered_at,
        seq(registration.change.expected_last_sequence)?
    ])?;
    write_player_changes(&tx, &[&registration.change])?;
    tx.prepare_cached(REGISTERED_IN_RUNNING_SEASON)?
        .execute(rusqlite::params![key.as_bytes().as_slice()])?;
    tx.commit()?;
    Ok(Registered::Done)
}

fn add_rotation(conn: &mut Connection, rotation: &Rotation) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached(
        "INSERT INTO key_rotations (sequence, record, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![
        seq(rotation.sequence)?,
        rotation.record,
        rotation.now
    ])?;
    super::log::append(&tx, [rotation.record.as_slice()])?;
    tx.commit()?;
    Ok(())
}
