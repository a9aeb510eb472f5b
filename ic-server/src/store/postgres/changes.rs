//! Writing planned changes on PostgreSQL: the ratings, issued records, opponents and
//! revocations of any number of player changes, as column arrays in one statement.
//!
//! Every row travels as arrays (`unnest`), so one statement writes a whole group commit batch
//! as cheaply as one match: the round trips do not grow with the players or matches written.

use std::collections::HashMap;
use std::sync::LazyLock;

use scr::PlayerKey;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};

use crate::store::abandons::ABANDON_KEEP_DAYS;
use crate::store::achievements::ACHIEVEMENT_COLUMNS;
use crate::store::columns::{RATING_COLUMNS, RECORD_COLUMNS, seq};
use crate::store::{MatchChange, PlayerChange, StoreError};

/// The data-modifying CTEs (without `WITH`) that write a [`ChangeRows`], bound as `$1` to
/// `$28` by [`ChangeRows::bind`]; a statement that writes more adds its own CTEs from `$29`.
pub(super) static WRITE_CTES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "rating_rows AS ( \
           INSERT INTO ratings (player_key, {RATING_COLUMNS}) \
           SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::int8[], $5::int8[], \
             $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], \
             $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[]) \
           ON CONFLICT (player_key, game_module) DO UPDATE SET \
           algorithm_id = excluded.algorithm_id, rating = excluded.rating, \
           deviation = excluded.deviation, volatility = excluded.volatility, \
           games_played = excluded.games_played, wins = excluded.wins, \
           losses = excluded.losses, draws = excluded.draws, streak = excluded.streak, \
           last_played_at = excluded.last_played_at, \
           rating_sequence = excluded.rating_sequence, \
           rating_expires_at = excluded.rating_expires_at, season = excluded.season, \
           peak_rating = excluded.peak_rating RETURNING 1), \
         record_rows AS ( \
           INSERT INTO issued_records ({RECORD_COLUMNS}) \
           SELECT * FROM unnest($17::bytea[], $18::int8[], $19::int8[], $20::bytea[], \
             $21::bytea[], $22::int8[]) RETURNING 1), \
         opponent_rows AS ( \
           INSERT INTO opponents (player_key, game_module, opponent_key) \
           SELECT * FROM unnest($23::bytea[], $24::text[], $25::bytea[]) \
           ON CONFLICT DO NOTHING RETURNING 1), \
         revocation_rows AS ( \
           INSERT INTO revocations (player_key, record_type, min_valid_sequence) \
           SELECT * FROM unnest($26::bytea[], $27::int8[], $28::int8[]) \
           ON CONFLICT (player_key, record_type) DO UPDATE SET \
           min_valid_sequence = excluded.min_valid_sequence \
           WHERE excluded.min_valid_sequence > revocations.min_valid_sequence RETURNING 1)"
    )
});

/// [`WRITE_CTES`] as a statement of its own.
static WRITE: LazyLock<String> = LazyLock::new(|| format!("WITH {} SELECT 1", *WRITE_CTES));

/// Writes the ratings, records, opponents, revocations and achievements of `changes`. A later
/// change to the same rating, revocation or achievement wins, as if the changes ran one by one.
pub(super) async fn write_changes(
    conn: &mut PgConnection,
    changes: &[&PlayerChange],
) -> Result<(), StoreError> {
    ChangeRows::of(changes)?
        .bind(sqlx::query(&WRITE))
        .execute(&mut *conn)
        .await?;
    write_achievements(conn, changes).await?;
    // The log's lock last, after the player's.
    let issued: Vec<&[u8]> = changes
        .iter()
        .flat_map(|change| &change.records)
        .map(|record| record.bytes.as_slice())
        .collect();
    super::log::append(conn, issued).await
}

/// Writes the abandons of `matches` and forgets those older than [`ABANDON_KEEP_DAYS`] (a
/// statement only when there are any: abandons are rare). A match recorded twice (another
/// transaction won its marker) writes the same rows, which are kept once.
pub(super) async fn write_abandons(
    conn: &mut PgConnection,
    matches: &[&MatchChange],
) -> Result<(), StoreError> {
    let abandons: Vec<_> = matches.iter().flat_map(|m| &m.abandons).collect();
    let Some(newest) = abandons.iter().map(|a| a.at).max() else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO abandons (player_key, match_id, at, voided) \
         SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int8[], $4::bool[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(
        abandons
            .iter()
            .map(|a| a.player_key.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    )
    .bind(
        abandons
            .iter()
            .map(|a| a.match_id.to_vec())
            .collect::<Vec<_>>(),
    )
    .bind(abandons.iter().map(|a| a.at).collect::<Vec<_>>())
    .bind(abandons.iter().map(|a| a.voided).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM abandons WHERE at < $1")
        .bind(newest - ABANDON_KEEP_DAYS * 86_400)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes the achievement rows of `changes` (a statement only when there are any: most
/// changes award none, so they cost the common path nothing).
pub(super) async fn write_achievements(
    conn: &mut PgConnection,
    changes: &[&PlayerChange],
) -> Result<(), StoreError> {
    // One statement may not upsert a row twice: the last row per achievement stands.
    let mut latest = HashMap::new();
    for row in changes.iter().flat_map(|change| &change.achievements) {
        latest.insert(
            (
                row.player_key,
                row.game_module.clone(),
                row.achievement_id.clone(),
            ),
            row,
        );
    }
    if latest.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = latest.into_values().collect();
    sqlx::query(&format!(
        "INSERT INTO achievements ({ACHIEVEMENT_COLUMNS}) \
         SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::int8[], $5::int8[], \
           $6::int8[], $7::bytea[], $8::int8[], $9::int8[]) \
         ON CONFLICT (player_key, game_module, achievement_id) DO UPDATE SET \
         sequence = excluded.sequence, verification = excluded.verification, \
         unlocked_at = excluded.unlocked_at, match_id = excluded.match_id, \
         upgrade_at = excluded.upgrade_at, challenged_at = excluded.challenged_at"
    ))
    .bind(
        rows.iter()
            .map(|r| r.player_key.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.game_module.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.achievement_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| seq(r.sequence))
            .collect::<Result<Vec<_>, _>>()?,
    )
    .bind(
        rows.iter()
            .map(|r| i64::from(r.verification))
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.unlocked_at).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.match_id.map(|id| id.to_vec()))
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.upgrade_at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.challenged_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// The rows of a set of changes as column arrays, one array per bound parameter.
#[derive(Default)]
pub(super) struct ChangeRows {
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
    season: Vec<i64>,
    peak: Vec<Option<i64>>,
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
    /// The rows `changes` write, in order (a later rating or revocation of a player wins).
    pub(super) fn of(changes: &[&PlayerChange]) -> Result<Self, StoreError> {
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
            rows.season.push(i64::from(row.season));
            rows.peak.push(row.peak_rating);
        }
        for ((player, record_type), min_valid) in revocations {
            rows.revoked_player.push(player.as_bytes().to_vec());
            rows.revoked_type.push(i64::from(record_type));
            rows.revoked_min.push(seq(min_valid)?);
        }
        Ok(rows)
    }

    /// Binds the arrays as `$1` to `$28` of `query`, in the order [`WRITE_CTES`] uses them.
    pub(super) fn bind(
        self,
        query: Query<'_, Postgres, PgArguments>,
    ) -> Query<'_, Postgres, PgArguments> {
        query
            .bind(self.rating_player)
            .bind(self.rating_module)
            .bind(self.algorithm)
            .bind(self.rating)
            .bind(self.deviation)
            .bind(self.volatility)
            .bind(self.games)
            .bind(self.wins)
            .bind(self.losses)
            .bind(self.draws)
            .bind(self.streak)
            .bind(self.last_played)
            .bind(self.rating_sequence)
            .bind(self.rating_expires)
            .bind(self.season)
            .bind(self.peak)
            .bind(self.record_player)
            .bind(self.record_sequence)
            .bind(self.record_type)
            .bind(self.record_bytes)
            .bind(self.record_match)
            .bind(self.record_issued)
            .bind(self.opponent_player)
            .bind(self.opponent_module)
            .bind(self.opponent_key)
            .bind(self.revoked_player)
            .bind(self.revoked_type)
            .bind(self.revoked_min)
    }
}
