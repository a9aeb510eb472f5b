//! Registrations, one-player changes and the reads certified matches are planned from, on
//! PostgreSQL: each a few round trips whatever the number of players (rows travel as arrays).
//!
//! Certified matches themselves are written by the group commit (`group_commit`). A
//! one-player change locks the player's row and succeeds only where `last_sequence` is still
//! what it was planned against, so it never reuses a sequence another process issued.

use std::collections::HashMap;

use scr::PlayerKey;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Transaction};

use super::changes::write_changes;
use super::{PostgresStore, key_array};
use crate::store::columns::{
    Columns, RATING_COLUMNS, RECORD_COLUMNS, count_u32, key32, prefixed, rating_from_row,
    record_from_row, seq, unseq,
};
use crate::store::{
    Applied, IssuedRecord, MatchInputs, PlayerChange, PlayerSnapshot, Registered, Registration,
    StoreError,
};

impl PostgresStore {
    /// Registers a player: the key once, the address's daily count checked and raised in the
    /// same transaction (a row lock makes concurrent registrations from one address count one
    /// after another, in any process).
    pub(super) async fn register_player(
        &self,
        registration: &Registration,
    ) -> Result<Registered, StoreError> {
        let change = &registration.change;
        let mut tx = self.pool.begin().await?;
        let created = sqlx::query(
            "INSERT INTO players (player_key, registered_at, last_sequence) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(change.player_key.as_bytes().as_slice())
        .bind(registration.registered_at)
        .bind(seq(change.new_last_sequence)?)
        .execute(&mut *tx)
        .await?;
        if created.rows_affected() == 0 {
            return Ok(Registered::AlreadyRegistered);
        }
        let used: i64 = sqlx::query_scalar(
            "INSERT INTO registrations_by_ip (ip, day, count) VALUES ($1, $2, 1) \
             ON CONFLICT (ip, day) DO UPDATE SET count = registrations_by_ip.count + 1 \
             RETURNING count",
        )
        .bind(&registration.ip)
        .bind(registration.day)
        .fetch_one(&mut *tx)
        .await?;
        if used > i64::from(registration.ip_limit) {
            // Dropping the transaction rolls back the player and the count.
            return Ok(Registered::IpLimitReached);
        }
        write_changes(&mut tx, &[change]).await?;
        // The rows count in the season running at the commit, as on SQLite.
        sqlx::query(
            "UPDATE ratings SET season = \
             COALESCE((SELECT season FROM seasons WHERE NOT ended), season) \
             WHERE player_key = $1",
        )
        .bind(change.player_key.as_bytes().as_slice())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Registered::Done)
    }

    /// Applies a one-player change if the player's sequence is still the planned one.
    pub(super) async fn apply_one(&self, change: &PlayerChange) -> Result<Applied, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !bump_sequences(&mut tx, &[change]).await? {
            return Ok(Applied::Conflict);
        }
        write_changes(&mut tx, &[change]).await?;
        tx.commit().await?;
        Ok(Applied::Done)
    }

    /// What planning a certified match reads: one round trip for a new match.
    pub(super) async fn read_match_inputs(
        &self,
        match_id: &[u8; 32],
        players: &[PlayerKey],
        module: &str,
        participants_hash: &[u8; 32],
        meetings_since: i64,
    ) -> Result<MatchInputs, StoreError> {
        let select = SNAPSHOT_SELECT.as_str();
        let sql = format!(
            "{select}, \
             EXISTS (SELECT 1 FROM processed_matches WHERE match_id = $3) AS applied, \
             (SELECT COUNT(*) FROM processed_matches WHERE participants_hash = $4 \
                AND played_at >= $5 AND rated) AS meetings \
             {SNAPSHOT_FROM}"
        );
        let rows = sqlx::query(&sql)
            .bind(key_array(players.iter().map(PlayerKey::as_bytes)))
            .bind(module)
            .bind(match_id.as_slice())
            .bind(participants_hash.as_slice())
            .bind(meetings_since)
            .fetch_all(&self.reads)
            .await?;
        let applied = match rows.first() {
            Some(row) => row.flag("applied")?,
            // No players asked about: ask the marker alone.
            None => {
                sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM processed_matches WHERE match_id = $1)",
                )
                .bind(match_id.as_slice())
                .fetch_one(&self.reads)
                .await?
            }
        };
        if applied {
            let records = records_of_match(&self.pool, match_id).await?;
            return Ok(MatchInputs::Applied(records.unwrap_or_default()));
        }
        let prior_meetings = match rows.first() {
            Some(row) => count_u32(row.int("meetings")?)?,
            None => 0,
        };
        Ok(MatchInputs::New {
            snapshots: snapshots_from(players, &rows)?,
            prior_meetings,
        })
    }

    /// Snapshots of `players` in `module`, in the order asked: one round trip.
    pub(super) async fn read_snapshots(
        &self,
        players: &[PlayerKey],
        module: &str,
    ) -> Result<Vec<Option<PlayerSnapshot>>, StoreError> {
        let select = SNAPSHOT_SELECT.as_str();
        let rows = sqlx::query(&format!("{select} {SNAPSHOT_FROM}"))
            .bind(key_array(players.iter().map(PlayerKey::as_bytes)))
            .bind(module)
            .fetch_all(&self.reads)
            .await?;
        snapshots_from(players, &rows)
    }
}

/// Columns of a snapshot row: the player's position in the list asked, its sequence (NULL when
/// unregistered) and its rating in `$2` (NULL columns when it has none).
static SNAPSHOT_SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT k.position, p.last_sequence AS last_sequence, r.player_key AS rated, {}",
        prefixed("r", RATING_COLUMNS)
    )
});

/// The players asked (`$1`, a key array) with their rows. These reads run on the connections
/// that use generic plans (planned once, see `PostgresStore::reads`): each lookup is a lateral
/// subquery with `LIMIT 1`, which stays one index probe per key in a generic plan, where a
/// join is planned for the ten keys a generic plan assumes and, while the tables are small,
/// becomes sequential scans and hash joins (five times the work at a thousand players).
const SNAPSHOT_FROM: &str = "FROM unnest($1::bytea[]) WITH ORDINALITY AS k(player_key, position) \
    LEFT JOIN LATERAL (SELECT last_sequence FROM players \
      WHERE player_key = k.player_key LIMIT 1) p ON true \
    LEFT JOIN LATERAL (SELECT * FROM ratings \
      WHERE player_key = k.player_key AND game_module = $2 LIMIT 1) r ON true \
    ORDER BY k.position";

fn snapshots_from(
    players: &[PlayerKey],
    rows: &[PgRow],
) -> Result<Vec<Option<PlayerSnapshot>>, StoreError> {
    if rows.len() != players.len() {
        return Err(StoreError::Corrupt(format!(
            "{} snapshot rows for {} players",
            rows.len(),
            players.len()
        )));
    }
    players
        .iter()
        .zip(rows)
        .map(|(player, row)| {
            let Some(last_sequence) = row.opt_int("last_sequence")? else {
                return Ok(None);
            };
            let rating = match row.opt_blob("rated")? {
                Some(_) => Some(rating_from_row(row)?),
                None => None,
            };
            Ok(Some(PlayerSnapshot {
                player_key: *player,
                last_sequence: unseq(last_sequence)?,
                rating,
            }))
        })
        .collect()
}

/// The records a match issued (by player key and sequence) if it was applied.
pub(super) async fn records_of_match<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    match_id: &[u8; 32],
) -> Result<Option<Vec<IssuedRecord>>, StoreError> {
    Ok(records_of_matches(executor, &[*match_id])
        .await?
        .remove(match_id))
}

/// The records each of `match_ids` issued (by player key and sequence), for those applied; an
/// applied match that issued nothing has an empty list.
pub(super) async fn records_of_matches<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    match_ids: &[[u8; 32]],
) -> Result<HashMap<[u8; 32], Vec<IssuedRecord>>, StoreError> {
    let rows = sqlx::query(&RECORDS_OF_MATCHES)
        .bind(key_array(match_ids))
        .fetch_all(executor)
        .await?;
    let mut applied: HashMap<[u8; 32], Vec<IssuedRecord>> = HashMap::new();
    for row in &rows {
        let records = applied.entry(key32(&row.blob("applied_id")?)?).or_default();
        // The left join yields one row of NULLs for a match that issued no record.
        if row.opt_blob("player_key")?.is_some() {
            records.push(record_from_row(row)?);
        }
    }
    Ok(applied)
}

/// The records of the applied matches among `$1` (an id array), by match, player and sequence.
static RECORDS_OF_MATCHES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT m.match_id AS applied_id, {} FROM processed_matches m \
         LEFT JOIN issued_records r ON r.match_id = m.match_id WHERE m.match_id = ANY($1) \
         ORDER BY m.match_id, r.player_key, r.sequence",
        prefixed("r", RECORD_COLUMNS)
    )
});

/// Moves each player's sequence from the planned value to the new one, locking their rows in
/// key order; false (nothing to commit) if any player is unregistered or moved meanwhile.
async fn bump_sequences(
    tx: &mut Transaction<'_, Postgres>,
    changes: &[&PlayerChange],
) -> Result<bool, StoreError> {
    let keys = key_array(changes.iter().map(|c| c.player_key.as_bytes()));
    let expected = changes
        .iter()
        .map(|c| seq(c.expected_last_sequence))
        .collect::<Result<Vec<_>, _>>()?;
    let new = changes
        .iter()
        .map(|c| seq(c.new_last_sequence))
        .collect::<Result<Vec<_>, _>>()?;
    // The subquery locks the rows in key order before any is updated; a row another
    // transaction changed meanwhile is re-checked at its newest version (READ COMMITTED).
    let bumped = sqlx::query(
        "UPDATE players p SET last_sequence = c.new \
         FROM unnest($1::bytea[], $2::int8[], $3::int8[]) AS c(player_key, expected, new), \
           (SELECT player_key FROM players WHERE player_key = ANY($1) \
            ORDER BY player_key FOR UPDATE) AS locked \
         WHERE p.player_key = c.player_key AND locked.player_key = c.player_key \
         AND p.last_sequence = c.expected",
    )
    .bind(keys)
    .bind(expected)
    .bind(new)
    .execute(&mut **tx)
    .await;
    let bumped = match bumped {
        Ok(done) => done,
        // Two processes locking overlapping players cannot deadlock through this statement,
        // but should the server still pick this transaction as a victim, plan again.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("40P01") => {
            return Ok(false);
        }
        Err(error) => return Err(error.into()),
    };
    Ok(bumped.rows_affected() == changes.len() as u64)
}
