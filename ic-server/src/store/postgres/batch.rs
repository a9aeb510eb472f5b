//! One group commit batch of certified matches on PostgreSQL, in one transaction of four round
//! trips however many matches it holds: `BEGIN`, lock the players, write, `COMMIT` (and two for
//! the transparency log's leaves: lock its row, write).
//!
//! Across processes: every player of the batch is locked in key order before anything is
//! written (no deadlock between two batches sharing players), and each match is checked against
//! the sequences read under that lock, so a match another process applied meanwhile, or one
//! planned on a stale sequence, is left out while the rest of the batch is written.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use scr::PlayerKey;
use sqlx::{Connection, PgConnection, Row};

use super::changes::{ChangeRows, WRITE_CTES, write_abandons, write_achievements};
use super::ingest::records_of_matches;
use super::key_array;
use crate::store::columns::{Columns, key32, seq, unseq};
use crate::store::settle::{Settled, accepted, answers, settle};
use crate::store::{Applied, MatchChange, PlayerChange, StoreError};

/// Applies `changes` in one transaction on `conn`, deciding each as if they were applied one
/// by one in order, and returns each one's outcome. On an error nothing was written.
pub(super) async fn commit_batch(
    conn: &mut PgConnection,
    changes: &[&MatchChange],
) -> Result<Vec<Applied>, BatchError> {
    match attempt(conn, changes).await {
        Ok(outcomes) => Ok(outcomes),
        // Batches lock in one order, so this should not happen; should the server still pick
        // this transaction as a deadlock victim (nothing of it is written), every match is
        // planned again, as a stale plan would be.
        Err(Failure::Deadlock) => Ok(vec![Applied::Conflict; changes.len()]),
        Err(Failure::Begin(error)) => Err(BatchError::Begin(error)),
        Err(Failure::Store(error)) => Err(BatchError::Failed(error)),
    }
}

/// Why a batch was not committed; either way nothing of it was written.
pub(super) enum BatchError {
    /// `BEGIN` failed, so no statement of the batch reached the database: it may be sent
    /// again on a new connection.
    Begin(StoreError),
    /// A later statement or the commit failed.
    Failed(StoreError),
}

/// Why a batch's transaction failed: a deadlock victim is planned again, anything else is
/// reported to every caller.
enum Failure {
    Deadlock,
    Begin(StoreError),
    Store(StoreError),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01") => Self::Deadlock,
            _ => Self::Store(error.into()),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

async fn attempt(
    conn: &mut PgConnection,
    changes: &[&MatchChange],
) -> Result<Vec<Applied>, Failure> {
    let mut tx = conn
        .begin()
        .await
        .map_err(|error| Failure::Begin(error.into()))?;
    let players: BTreeSet<PlayerKey> = changes
        .iter()
        .flat_map(|change| change.players.iter().map(|p| p.player_key))
        .collect();
    let locked = lock_players(&mut tx, &players).await?;

    // The matches are new as far as the callers know (they just read so when planning): decide
    // them on that assumption, and look for matches applied meanwhile only among those that
    // conflict. A match another transaction applied moved its players' sequences, so it
    // cannot fit them any more; asking only then saves a round trip per batch.
    let mut sequences = locked.clone();
    let mut stored = HashMap::new();
    let mut settled = settle(changes, &stored, &mut sequences);
    let conflicting: Vec<[u8; 32]> = changes
        .iter()
        .zip(&settled)
        .filter(|(_, settled)| **settled == Settled::Conflict)
        .map(|(change, _)| change.match_id)
        .collect();
    if !conflicting.is_empty() {
        stored = records_of_matches(&mut *tx, &conflicting).await?;
        if !stored.is_empty() {
            sequences = locked.clone();
            settled = settle(changes, &stored, &mut sequences);
        }
    }

    let accepted = accepted(changes, &settled);
    let bumps: Vec<Bump> = players
        .iter()
        .filter_map(|player| {
            let (from, to) = (locked.get(player)?, sequences.get(player)?);
            (from != to).then_some(Bump {
                player: *player,
                from: *from,
                to: *to,
            })
        })
        .collect();
    let marked = write_batch(&mut tx, &accepted, &bumps).await?;
    for change in &accepted {
        if marked.contains(&change.match_id) {
            continue;
        }
        // Only a match without players (not rated, nothing issued) can meet another
        // transaction's marker here: a match with players would have found their sequences
        // moved by it. That one was applied by the other transaction.
        if !change.players.is_empty() {
            return Err(StoreError::WriteFailed(format!(
                "certified match {} was recorded by another transaction that did not lock its \
                 players",
                hex::encode(change.match_id)
            ))
            .into());
        }
        stored.insert(change.match_id, Vec::new());
    }
    // The log's lock last: every other lock of the batch is held already.
    let issued: Vec<&[u8]> = accepted
        .iter()
        .flat_map(|change| &change.players)
        .flat_map(|player| &player.records)
        .map(|record| record.bytes.as_slice())
        .collect();
    super::log::append(&mut tx, issued).await?;
    tx.commit().await?;
    let settled: Vec<Settled> = changes
        .iter()
        .zip(settled)
        .map(|(change, settled)| match settled {
            Settled::Apply if !marked.contains(&change.match_id) => Settled::Stored,
            other => other,
        })
        .collect();
    Ok(answers(changes, &settled, &stored))
}

/// One player's sequence moved by a batch.
struct Bump {
    player: PlayerKey,
    /// As read under the batch's lock.
    from: u64,
    /// After the batch's last match of this player.
    to: u64,
}

/// Locks the rows of `players` (sorted) in key order and returns the sequence of each that is
/// registered; a row another transaction changed meanwhile is read at its newest version.
async fn lock_players(
    conn: &mut PgConnection,
    players: &BTreeSet<PlayerKey>,
) -> Result<HashMap<PlayerKey, u64>, Failure> {
    if players.is_empty() {
        return Ok(HashMap::new());
    }
    // The locking clause applies after the sort, so rows are locked in key order.
    let rows = sqlx::query(
        "SELECT player_key, last_sequence FROM players WHERE player_key = ANY($1) \
         ORDER BY player_key FOR UPDATE",
    )
    .bind(key_array(players.iter().map(PlayerKey::as_bytes)))
    .fetch_all(conn)
    .await?;
    let mut locked = HashMap::with_capacity(rows.len());
    for row in &rows {
        let key = key32(&row.blob("player_key")?)?;
        locked.insert(
            PlayerKey::from_bytes(key),
            unseq(row.int("last_sequence")?)?,
        );
    }
    Ok(locked)
}

/// The batch's writes as one statement: the change rows ([`WRITE_CTES`]), the sequence bumps
/// (checked against the locked values, a consistency check: the rows are locked) and the
/// dedupe markers, in match id order so two transactions inserting the same markers (matches
/// without players, which lock nothing) wait for each other in one order.
static WRITE_BATCH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH {}, \
         bumped AS ( \
           UPDATE players p SET last_sequence = b.new \
           FROM unnest($29::bytea[], $30::int8[], $31::int8[]) AS b(player_key, expected, new) \
           WHERE p.player_key = b.player_key AND p.last_sequence = b.expected RETURNING 1), \
         marked AS ( \
           INSERT INTO processed_matches \
             (match_id, cmr, participants_hash, played_at, accepted_at, rated) \
           SELECT * FROM unnest($32::bytea[], $33::bytea[], $34::bytea[], $35::int8[], \
             $36::int8[], $37::bool[]) \
           ON CONFLICT DO NOTHING RETURNING match_id) \
         SELECT (SELECT COUNT(*) FROM bumped) AS bumped, \
           ARRAY(SELECT match_id FROM marked) AS marked",
        *WRITE_CTES
    )
});

/// Writes `accepted` and moves the players' sequences; returns the ids of the matches whose
/// marker was inserted (the others were recorded by another transaction).
async fn write_batch(
    conn: &mut PgConnection,
    accepted: &[&MatchChange],
    bumps: &[Bump],
) -> Result<Vec<[u8; 32]>, Failure> {
    let player_changes: Vec<&PlayerChange> =
        accepted.iter().flat_map(|change| &change.players).collect();
    let mut markers = accepted.to_vec();
    markers.sort_by_key(|change| change.match_id);
    let row = ChangeRows::of(&player_changes)?
        .bind(sqlx::query(&WRITE_BATCH))
        .bind(key_array(bumps.iter().map(|b| b.player.as_bytes())))
        .bind(
            bumps
                .iter()
                .map(|b| seq(b.from))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .bind(
            bumps
                .iter()
                .map(|b| seq(b.to))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .bind(key_array(markers.iter().map(|m| &m.match_id)))
        .bind(markers.iter().map(|m| m.cmr.clone()).collect::<Vec<_>>())
        .bind(key_array(markers.iter().map(|m| &m.participants_hash)))
        .bind(markers.iter().map(|m| m.played_at).collect::<Vec<_>>())
        .bind(markers.iter().map(|m| m.accepted_at).collect::<Vec<_>>())
        .bind(markers.iter().map(|m| m.rated).collect::<Vec<_>>())
        .fetch_one(&mut *conn)
        .await?;
    write_achievements(conn, &player_changes).await?;
    write_abandons(conn, accepted).await?;
    let bumped: i64 = row.try_get("bumped")?;
    if bumped != bumps.len() as i64 {
        return Err(StoreError::WriteFailed(format!(
            "{bumped} of {} locked player sequences moved inside the transaction",
            bumps.len()
        ))
        .into());
    }
    let marked: Vec<Vec<u8>> = row.try_get("marked")?;
    Ok(marked
        .iter()
        .map(|id| key32(id))
        .collect::<Result<_, _>>()?)
}
