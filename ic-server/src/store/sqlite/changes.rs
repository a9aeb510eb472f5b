//! Writing planned changes to SQLite on the writer thread's connection: each change's sequence
//! bump, rating rows, issued records (and their log leaves), opponents and revocation.
//!
//! Statements run one row at a time: on a direct connection a prepared statement costs a few
//! microseconds and no thread hand-off, so multi-row statements would only add text building.

use rusqlite::{Connection, params};

use crate::store::abandons::ABANDON_KEEP_DAYS;
use crate::store::achievements::ACHIEVEMENT_COLUMNS;
use crate::store::columns::{RATING_COLUMNS, RECORD_COLUMNS, seq};
use crate::store::{MatchChange, PlayerChange, StoreError};

/// Writes `changes` in order (a later change to the same player or rating wins). Each change
/// must find the player's sequence it was planned against, already checked by the caller
/// inside the same transaction; a miss fails the whole transaction.
pub(super) fn write_player_changes(
    conn: &Connection,
    changes: &[&PlayerChange],
) -> Result<(), StoreError> {
    let mut bump = conn.prepare_cached(
        "UPDATE players SET last_sequence = ?1 WHERE player_key = ?2 AND last_sequence = ?3",
    )?;
    let mut rating = conn.prepare_cached(&format!(
        "INSERT INTO ratings (player_key, {RATING_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
         ON CONFLICT (player_key, game_module) DO UPDATE SET \
         algorithm_id = excluded.algorithm_id, rating = excluded.rating, \
         deviation = excluded.deviation, volatility = excluded.volatility, \
         games_played = excluded.games_played, wins = excluded.wins, \
         losses = excluded.losses, draws = excluded.draws, streak = excluded.streak, \
         last_played_at = excluded.last_played_at, rating_sequence = excluded.rating_sequence, \
         rating_expires_at = excluded.rating_expires_at, season = excluded.season, \
         peak_rating = excluded.peak_rating"
    ))?;
    let mut record = conn.prepare_cached(&format!(
        "INSERT INTO issued_records ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))?;
    let mut opponent = conn.prepare_cached(
        "INSERT INTO opponents (player_key, game_module, opponent_key) VALUES (?1, ?2, ?3) \
         ON CONFLICT DO NOTHING",
    )?;
    // The revocation minimum only rises.
    let mut revocation = conn.prepare_cached(
        "INSERT INTO revocations (player_key, record_type, min_valid_sequence) VALUES (?1, ?2, ?3) \
         ON CONFLICT (player_key, record_type) DO UPDATE SET \
         min_valid_sequence = excluded.min_valid_sequence \
         WHERE excluded.min_valid_sequence > revocations.min_valid_sequence",
    )?;
    // A later record of the same achievement (an upgrade, a challenge) replaces its row.
    let mut achievement = conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO achievements ({ACHIEVEMENT_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?;
    for change in changes {
        let key = change.player_key.as_bytes().as_slice();
        let bumped = bump.execute(params![
            seq(change.new_last_sequence)?,
            key,
            seq(change.expected_last_sequence)?
        ])?;
        if bumped != 1 {
            return Err(StoreError::WriteFailed(
                "a player's sequence moved inside the transaction".into(),
            ));
        }
        for row in &change.ratings {
            rating.execute(params![
                key,
                row.game_module,
                row.algorithm_id,
                row.rating,
                row.deviation,
                row.volatility,
                i64::from(row.games_played),
                i64::from(row.wins),
                i64::from(row.losses),
                i64::from(row.draws),
                i64::from(row.streak),
                row.last_played_at,
                seq(row.rating_sequence)?,
                row.rating_expires_at,
                i64::from(row.season),
                row.peak_rating,
            ])?;
        }
        for issued in &change.records {
            record.execute(params![
                issued.player_key.as_bytes().as_slice(),
                seq(issued.sequence)?,
                i64::from(issued.record_type),
                issued.bytes,
                issued.match_id.as_ref().map(|id| id.as_slice()),
                issued.issued_at,
            ])?;
        }
        // Opponents count per game module: a change's module is that of its (first) rating.
        if let Some(module) = change.ratings.first().map(|r| r.game_module.as_str()) {
            for other in &change.opponents {
                opponent.execute(params![key, module, other.as_bytes().as_slice()])?;
            }
        }
        if let Some((record_type, min_valid)) = change.revocation {
            revocation.execute(params![key, i64::from(record_type), seq(min_valid)?])?;
        }
        for row in &change.achievements {
            achievement.execute(params![
                row.player_key.as_bytes().as_slice(),
                row.game_module,
                row.achievement_id,
                seq(row.sequence)?,
                i64::from(row.verification),
                row.unlocked_at,
                row.match_id.as_ref().map(|id| id.as_slice()),
                row.upgrade_at,
                row.challenged_at,
            ])?;
        }
    }
    // Every issued record gets its leaf in the same transaction.
    super::log::append(
        conn,
        changes
            .iter()
            .flat_map(|change| change.records.iter().map(|r| r.bytes.as_slice())),
    )
}

/// Marks `accepted` as processed, so a resubmission finds them, and keeps their abandons.
pub(super) fn insert_processed(
    conn: &Connection,
    accepted: &[&MatchChange],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO processed_matches \
         (match_id, cmr, participants_hash, played_at, accepted_at, rated) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut abandon = conn.prepare_cached(
        "INSERT INTO abandons (player_key, match_id, at, voided) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT DO NOTHING",
    )?;
    for change in accepted {
        insert.execute(params![
            change.match_id.as_slice(),
            change.cmr,
            change.participants_hash.as_slice(),
            change.played_at,
            change.accepted_at,
            i64::from(change.rated),
        ])?;
        for left in &change.abandons {
            abandon.execute(params![
                left.player_key.as_bytes().as_slice(),
                left.match_id.as_slice(),
                left.at,
                i64::from(left.voided),
            ])?;
        }
    }
    // Abandons are rare: forgetting the old ones only when new ones come keeps the table small
    // without a task of its own.
    if let Some(newest) = accepted
        .iter()
        .flat_map(|c| &c.abandons)
        .map(|a| a.at)
        .max()
    {
        conn.prepare_cached("DELETE FROM abandons WHERE at < ?1")?
            .execute(params![newest - ABANDON_KEEP_DAYS * 86_400])?;
    }
    Ok(())
}
