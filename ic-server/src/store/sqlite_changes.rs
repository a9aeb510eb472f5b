//! Writing planned changes to SQLite with one multi-row statement per table, and reading the
//! state those writes are checked against (sequences, applied matches) in one query each.
//!
//! Why multi-row: sqlx hands every statement to the connection's thread and back, and those
//! hand-offs, not SQLite, dominated ingest time. A batch of matches now costs a fixed handful of
//! statements however many matches and players it holds.

use std::collections::HashMap;
use std::hash::Hash;

use scr::PlayerKey;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::sqlite::{RATING_COLUMNS, RECORD_COLUMNS, key32, record_from_row, seq, unseq};
use super::{IssuedRecord, PlayerChange, StoreError};

/// Rows per multi-row statement: far below SQLite's 32 766 bound parameters at 14 per row.
const ROWS_PER_STATEMENT: usize = 500;

/// The current `last_sequence` of each of `players` that is registered.
pub(super) async fn current_sequences(
    conn: &mut SqliteConnection,
    players: &[PlayerKey],
) -> Result<HashMap<PlayerKey, u64>, StoreError> {
    let mut sequences = HashMap::with_capacity(players.len());
    for chunk in players.chunks(ROWS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT player_key, last_sequence FROM players WHERE ");
        in_list(
            &mut query,
            "player_key",
            chunk.iter().map(|p| p.as_bytes().to_vec()),
        );
        for row in query.build().fetch_all(&mut *conn).await? {
            let key = PlayerKey::from_bytes(key32(&row.try_get::<Vec<u8>, _>("player_key")?)?);
            sequences.insert(key, unseq(row.try_get("last_sequence")?)?);
        }
    }
    Ok(sequences)
}

/// The records of every match in `match_ids` that was applied (an applied match that issued
/// nothing maps to an empty list; a match never applied is absent), each list ordered by player
/// key and sequence.
pub(super) async fn records_of_matches(
    conn: &mut SqliteConnection,
    match_ids: &[[u8; 32]],
) -> Result<HashMap<[u8; 32], Vec<IssuedRecord>>, StoreError> {
    let columns: Vec<String> = RECORD_COLUMNS
        .split(", ")
        .map(|column| format!("r.{column} AS {column}"))
        .collect();
    let mut applied: HashMap<[u8; 32], Vec<IssuedRecord>> = HashMap::new();
    for chunk in match_ids.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT m.match_id AS applied_id, {} FROM processed_matches m \
             LEFT JOIN issued_records r ON r.match_id = m.match_id WHERE ",
            columns.join(", ")
        ));
        in_list(&mut query, "m.match_id", chunk.iter().map(|id| id.to_vec()));
        query.push(" ORDER BY m.match_id, r.player_key, r.sequence");
        for row in query.build().fetch_all(&mut *conn).await? {
            let id = key32(&row.try_get::<Vec<u8>, _>("applied_id")?)?;
            let records = applied.entry(id).or_default();
            // The left join yields one row of NULLs for a match that issued no record.
            if row.try_get::<Option<Vec<u8>>, _>("player_key")?.is_some() {
                records.push(record_from_row(&row)?);
            }
        }
    }
    Ok(applied)
}

/// Writes `changes`, already checked against [`current_sequences`] inside the same
/// transaction, in order (a later change to the same player or rating wins).
pub(super) async fn write_player_changes(
    conn: &mut SqliteConnection,
    changes: &[&PlayerChange],
) -> Result<(), StoreError> {
    // Per player: the sequence the first change expects and the one the last change leaves.
    let mut first_expected: HashMap<PlayerKey, i64> = HashMap::new();
    for change in changes {
        first_expected
            .entry(change.player_key)
            .or_insert(seq(change.expected_last_sequence)?);
    }
    let sequences = last_per_key(changes.iter().map(|c| (c.player_key, c)))
        .into_iter()
        .map(|c| {
            let expected = first_expected
                .get(&c.player_key)
                .copied()
                .unwrap_or_default();
            Ok((
                c.player_key.as_bytes().to_vec(),
                seq(c.new_last_sequence)?,
                expected,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    for chunk in sequences.chunks(ROWS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new("UPDATE players SET last_sequence = v.column2 FROM (");
        query.push_values(chunk, |mut row, (key, new, expected)| {
            row.push_bind(key.clone())
                .push_bind(*new)
                .push_bind(*expected);
        });
        query.push(
            ") AS v WHERE players.player_key = v.column1 AND players.last_sequence = v.column3",
        );
        let done = query.build().execute(&mut *conn).await?;
        if done.rows_affected() != chunk.len() as u64 {
            // The caller checked the sequences in this transaction; a miss means the plan and
            // the database disagree, and nothing of the transaction may commit.
            return Err(StoreError::WriteFailed(
                "a player's sequence moved inside the transaction".into(),
            ));
        }
    }

    let ratings = last_per_key(
        changes
            .iter()
            .flat_map(|c| c.ratings.iter().map(move |r| (c.player_key, r)))
            .map(|(player, rating)| ((player, rating.game_module.as_str()), (player, rating))),
    )
    .into_iter()
    .map(|(player, rating)| Ok((player, rating, seq(rating.rating_sequence)?)))
    .collect::<Result<Vec<_>, StoreError>>()?;
    for chunk in ratings.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "INSERT INTO ratings (player_key, {RATING_COLUMNS}) "
        ));
        query.push_values(chunk, |mut row, (player, rating, sequence)| {
            row.push_bind(player.as_bytes().to_vec())
                .push_bind(rating.game_module.clone())
                .push_bind(rating.algorithm_id.clone())
                .push_bind(rating.rating)
                .push_bind(rating.deviation)
                .push_bind(rating.volatility)
                .push_bind(i64::from(rating.games_played))
                .push_bind(i64::from(rating.wins))
                .push_bind(i64::from(rating.losses))
                .push_bind(i64::from(rating.draws))
                .push_bind(i64::from(rating.streak))
                .push_bind(rating.last_played_at)
                .push_bind(*sequence)
                .push_bind(rating.rating_expires_at);
        });
        query.push(
            " ON CONFLICT (player_key, game_module) DO UPDATE SET \
             algorithm_id = excluded.algorithm_id, rating = excluded.rating, \
             deviation = excluded.deviation, volatility = excluded.volatility, \
             games_played = excluded.games_played, wins = excluded.wins, \
             losses = excluded.losses, draws = excluded.draws, streak = excluded.streak, \
             last_played_at = excluded.last_played_at, rating_sequence = excluded.rating_sequence, \
             rating_expires_at = excluded.rating_expires_at",
        );
        query.build().execute(&mut *conn).await?;
    }

    let records = changes
        .iter()
        .flat_map(|c| &c.records)
        .map(|record| Ok((record, seq(record.sequence)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO issued_records ({RECORD_COLUMNS}) "));
        query.push_values(chunk, |mut row, (record, sequence)| {
            row.push_bind(record.player_key.as_bytes().to_vec())
                .push_bind(*sequence)
                .push_bind(i64::from(record.record_type))
                .push_bind(record.bytes.clone())
                .push_bind(record.match_id.map(|id| id.to_vec()))
                .push_bind(record.issued_at);
        });
        query.build().execute(&mut *conn).await?;
    }

    // Opponents count per game module: a change's module is that of its (first) rating.
    let opponents: Vec<(PlayerKey, &str, PlayerKey)> = changes
        .iter()
        .filter_map(|c| c.ratings.first().map(|r| (c, r.game_module.as_str())))
        .flat_map(|(c, module)| c.opponents.iter().map(move |o| (c.player_key, module, *o)))
        .collect();
    for chunk in opponents.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO opponents (player_key, game_module, opponent_key) ",
        );
        query.push_values(chunk, |mut row, (player, module, opponent)| {
            row.push_bind(player.as_bytes().to_vec())
                .push_bind(module.to_string())
                .push_bind(opponent.as_bytes().to_vec());
        });
        query.push(" ON CONFLICT DO NOTHING");
        query.build().execute(&mut *conn).await?;
    }

    // The revocation minimum only rises; of several raises in one batch the highest counts.
    let mut revocations: HashMap<(PlayerKey, u8), u64> = HashMap::new();
    for change in changes {
        if let Some((record_type, min_valid)) = change.revocation {
            let highest = revocations
                .entry((change.player_key, record_type))
                .or_default();
            *highest = (*highest).max(min_valid);
        }
    }
    let revocations = revocations
        .into_iter()
        .map(|((player, record_type), min_valid)| Ok((player, record_type, seq(min_valid)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    for chunk in revocations.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO revocations (player_key, record_type, min_valid_sequence) ",
        );
        query.push_values(chunk, |mut row, (player, record_type, min_valid)| {
            row.push_bind(player.as_bytes().to_vec())
                .push_bind(i64::from(*record_type))
                .push_bind(*min_valid);
        });
        query.push(
            " ON CONFLICT (player_key, record_type) DO UPDATE SET \
             min_valid_sequence = excluded.min_valid_sequence \
             WHERE excluded.min_valid_sequence > revocations.min_valid_sequence",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// `column IN (?, ?, …)` for `values`.
fn in_list(
    query: &mut QueryBuilder<'_, Sqlite>,
    column: &str,
    values: impl Iterator<Item = Vec<u8>>,
) {
    query.push(column).push(" IN (");
    let mut separated = query.separated(", ");
    for value in values {
        separated.push_bind(value);
    }
    separated.push_unseparated(")");
}

/// The values of `items` with the last one kept per key, in order of each key's first
/// appearance (an upsert may not touch the same row twice in one statement everywhere).
fn last_per_key<K: Hash + Eq, V>(items: impl Iterator<Item = (K, V)>) -> Vec<V> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut kept: Vec<V> = Vec::new();
    for (key, value) in items {
        match index.get(&key) {
            Some(&at) => kept[at] = value,
            None => {
                index.insert(key, kept.len());
                kept.push(value);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_per_key_keeps_the_latest_value_in_first_seen_order() {
        let kept = last_per_key([("a", 1), ("b", 2), ("a", 3)].into_iter());
        assert_eq!(kept, vec![3, 2]);
    }
}
