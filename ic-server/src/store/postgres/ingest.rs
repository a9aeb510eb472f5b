//! The credential-issuing writes on PostgreSQL and the reads they are planned from, each a
//! few round trips whatever the number of players: rows travel as arrays (`unnest`), and the
//! writes of a change are one statement of data-modifying CTEs.
//!
//! Across processes: a certified match's dedupe marker is inserted first, so a second
//! submission of the same result waits for the first and then finds it applied; the sequence
//! bump locks the players' rows in key order (no deadlock between two matches sharing players)
//! and succeeds only where `last_sequence` is still what the change was planned against.

use std::collections::HashMap;

use scr::PlayerKey;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Transaction};

use super::{PostgresStore, key_array};
use crate::store::columns::{
    Columns, RATING_COLUMNS, RECORD_COLUMNS, count_u32, prefixed, rating_from_row, record_from_row,
    seq, unseq,
};
use crate::store::{
    Applied, IssuedRecord, MatchChange, MatchInputs, PlayerChange, PlayerSnapshot, Registered,
    Registration, StoreError,
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

    /// Applies a certified match once, all players in one transaction.
    pub(super) async fn apply_match_change(
        &self,
        change: &MatchChange,
    ) -> Result<Applied, StoreError> {
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query(
            "INSERT INTO processed_matches \
             (match_id, cmr, participants_hash, played_at, accepted_at, rated) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(change.match_id.as_slice())
        .bind(&change.cmr)
        .bind(change.participants_hash.as_slice())
        .bind(change.played_at)
        .bind(change.accepted_at)
        .bind(change.rated)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 0 {
            // Applied before (or by a transaction that committed while this one waited).
            let records = records_of_match(&mut *tx, &change.match_id).await?;
            return Ok(Applied::AlreadyApplied(records.unwrap_or_default()));
        }
        let players: Vec<&PlayerChange> = change.players.iter().collect();
        if !bump_sequences(&mut tx, &players).await? {
            return Ok(Applied::Conflict);
        }
        write_changes(&mut tx, &players).await?;
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
            .fetch_all(&self.pool)
            .await?;
        let applied = match rows.first() {
            Some(row) => row.flag("applied")?,
            // No players asked about: ask the marker alone.
            None => {
                sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM processed_matches WHERE match_id = $1)",
                )
                .bind(match_id.as_slice())
                .fetch_one(&self.pool)
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
            .fetch_all(&self.pool)
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

/// The players asked (`$1`, a key array) with their rows.
const SNAPSHOT_FROM: &str = "FROM unnest($1::bytea[]) WITH ORDINALITY AS k(player_key, position) \
    LEFT JOIN players p ON p.player_key = k.player_key \
    LEFT JOIN ratings r ON r.player_key = k.player_key AND r.game_module = $2 \
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
    let rows = sqlx::query(&format!(
        "SELECT m.match_id AS applied_id, {} FROM processed_matches m \
         LEFT JOIN issued_records r ON r.match_id = m.match_id WHERE m.match_id = $1 \
         ORDER BY r.player_key, r.sequence",
        prefixed("r", RECORD_COLUMNS)
    ))
    .bind(match_id.as_slice())
    .fetch_all(executor)
    .await?;
    let mut applied = None;
    for row in &rows {
        let records: &mut Vec<IssuedRecord> = applied.get_or_insert_with(Vec::new);
        // The left join yields one row of NULLs for a match that issued no record.
        if row.opt_blob("player_key")?.is_some() {
            records.push(record_from_row(row)?);
        }
    }
    Ok(applied)
}

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

/// Writes the ratings, records, opponents and revocations of `changes` in one statement. A
/// later change to the same rating or revocation wins, as if the changes ran one by one.
async fn write_changes(
    tx: &mut Transaction<'_, Postgres>,
    changes: &[&PlayerChange],
) -> Result<(), StoreError> {
    let rows = ChangeRows::of(changes)?;
    sqlx::query(&format!(
        "WITH rating_rows AS ( \
           INSERT INTO ratings (player_key, {RATING_COLUMNS}) \
           SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::int8[], $5::int8[], \
             $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], \
             $12::int8[], $13::int8[], $14::int8[]) \
           ON CONFLICT (player_key, game_module) DO UPDATE SET \
           algorithm_id = excluded.algorithm_id, rating = excluded.rating, \
           deviation = excluded.deviation, volatility = excluded.volatility, \
           games_played = excluded.games_played, wins = excluded.wins, \
           losses = excluded.losses, draws = excluded.draws, streak = excluded.streak, \
           last_played_at = excluded.last_played_at, \
           rating_sequence = excluded.rating_sequence, \
           rating_expires_at = excluded.rating_expires_at RETURNING 1), \
         record_rows AS ( \
           INSERT INTO issued_records ({RECORD_COLUMNS}) \
           SELECT * FROM unnest($15::bytea[], $16::int8[], $17::int8[], $18::bytea[], \
             $19::bytea[], $20::int8[]) RETURNING 1), \
         opponent_rows AS ( \
           INSERT INTO opponents (player_key, game_module, opponent_key) \
           SELECT * FROM unnest($21::bytea[], $22::text[], $23::bytea[]) \
           ON CONFLICT DO NOTHING RETURNING 1), \
         revocation_rows AS ( \
           INSERT INTO revocations (player_key, record_type, min_valid_sequence) \
           SELECT * FROM unnest($24::bytea[], $25::int8[], $26::int8[]) \
           ON CONFLICT (player_key, record_type) DO UPDATE SET \
           min_valid_sequence = excluded.min_valid_sequence \
           WHERE excluded.min_valid_sequence > revocations.min_valid_sequence RETURNING 1) \
         SELECT 1"
    ))
    .bind(rows.rating_player)
    .bind(rows.rating_module)
    .bind(rows.algorithm)
    .bind(rows.rating)
    .bind(rows.deviation)
    .bind(rows.volatility)
    .bind(rows.games)
    .bind(rows.wins)
    .bind(rows.losses)
    .bind(rows.draws)
    .bind(rows.streak)
    .bind(rows.last_played)
    .bind(rows.rating_sequence)
    .bind(rows.rating_expires)
    .bind(rows.record_player)
    .bind(rows.record_sequence)
    .bind(rows.record_type)
    .bind(rows.record_bytes)
    .bind(rows.record_match)
    .bind(rows.record_issued)
    .bind(rows.opponent_player)
    .bind(rows.opponent_module)
    .bind(rows.opponent_key)
    .bind(rows.revoked_player)
    .bind(rows.revoked_type)
    .bind(rows.revoked_min)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The rows of a set of changes as column arrays, one array per bound parameter.
#[derive(Default)]
struct ChangeRows {
    rating_player: Vec<Vec<u8>>,
    rating_module: Vec<String>,
    algorithm: Vec<String>,
    rating: Vec<i64>,
    deviation: Vec<i64>,
    volatility: Vec<i64>,
    games: Vec<i64>,
    wins: Vec<i64>,
    losses: Vec<i64>,
    draws: Vec<i64>,
    streak: Vec<i64>,
    last_played: Vec<Option<i64>>,
    rating_sequence: Vec<i64>,
    rating_expires: Vec<i64>,
    record_player: Vec<Vec<u8>>,
    record_sequence: Vec<i64>,
    record_type: Vec<i64>,
    record_bytes: Vec<Vec<u8>>,
    record_match: Vec<Option<Vec<u8>>>,
    record_issued: Vec<i64>,
    opponent_player: Vec<Vec<u8>>,
    opponent_module: Vec<String>,
    opponent_key: Vec<Vec<u8>>,
    revoked_player: Vec<Vec<u8>>,
    revoked_type: Vec<i64>,
    revoked_min: Vec<i64>,
}

impl ChangeRows {
    fn of(changes: &[&PlayerChange]) -> Result<Self, StoreError> {
        let mut rows = Self::default();
        // One statement may not upsert a row twice: the last rating per (player, module) and
        // the highest revocation minimum per (player, type) stand for the rest.
        let mut ratings = HashMap::new();
        let mut revocations: HashMap<(PlayerKey, u8), u64> = HashMap::new();
        for change in changes {
            for row in &change.ratings {
                ratings.insert((change.player_key, row.game_module.clone()), row);
            }
            if let Some((record_type, min_valid)) = change.revocation {
                let entry = revocations
                    .entry((change.player_key, record_type))
                    .or_default();
                *entry = (*entry).max(min_valid);
            }
            for issued in &change.records {
                rows.record_player
                    .push(issued.player_key.as_bytes().to_vec());
                rows.record_sequence.push(seq(issued.sequence)?);
                rows.record_type.push(i64::from(issued.record_type));
                rows.record_bytes.push(issued.bytes.clone());
                rows.record_match
                    .push(issued.match_id.map(|id| id.to_vec()));
                rows.record_issued.push(issued.issued_at);
            }
            // Opponents count per game module: a change's module is that of its (first) rating.
            if let Some(module) = change.ratings.first().map(|r| &r.game_module) {
                for other in &change.opponents {
                    rows.opponent_player
                        .push(change.player_key.as_bytes().to_vec());
                    rows.opponent_module.push(module.clone());
                    rows.opponent_key.push(other.as_bytes().to_vec());
                }
            }
        }
        for ((player, _), row) in ratings {
            rows.rating_player.push(player.as_bytes().to_vec());
            rows.rating_module.push(row.game_module.clone());
            rows.algorithm.push(row.algorithm_id.clone());
            rows.rating.push(row.rating);
            rows.deviation.push(row.deviation);
            rows.volatility.push(row.volatility);
            rows.games.push(i64::from(row.games_played));
            rows.wins.push(i64::from(row.wins));
            rows.losses.push(i64::from(row.losses));
            rows.draws.push(i64::from(row.draws));
            rows.streak.push(i64::from(row.streak));
            rows.last_played.push(row.last_played_at);
            rows.rating_sequence.push(seq(row.rating_sequence)?);
            rows.rating_expires.push(row.rating_expires_at);
        }
        for ((player, record_type), min_valid) in revocations {
            rows.revoked_player.push(player.as_bytes().to_vec());
            rows.revoked_type.push(i64::from(record_type));
            rows.revoked_min.push(seq(min_valid)?);
        }
        Ok(rows)
    }
}
