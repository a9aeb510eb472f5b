//! Filing verified records into the wallet's tables, inside the caller's transaction: the
//! newest rating per module, one row per match and achievement, revocations marked.

use scr::payload::Payload;
use scr::{PlayerKey, Record, RecordType, Verified};
use sqlx::{Sqlite, Transaction};

use super::WalletError;
use super::store::{ApplyReport, to_db_i64};

/// Stores `records`, marks revoked ones, advances `last_sequence` and `last_sync`.
pub(super) async fn write_records(
    tx: &mut Transaction<'_, Sqlite>,
    player: PlayerKey,
    records: &[Verified<Record>],
    highest_sequence: u64,
    now: i64,
) -> Result<ApplyReport, WalletError> {
    let mut report = ApplyReport::default();
    for record in records {
        if record.record_type() != RecordType::KeyRotation && record.player_key() != player {
            return Err(WalletError::WrongPlayer {
                expected: player,
                found: record.player_key(),
            });
        }
        match insert_record(tx, record).await? {
            Inserted::New => report.stored += 1,
            Inserted::Superseded => report.superseded += 1,
            Inserted::Ignored => report.ignored += 1,
            Inserted::RevocationApplied => report.revocations_applied += 1,
        }
    }
    report.marked_revoked = mark_revoked(tx).await?;
    sqlx::query(
        "UPDATE community_info SET last_sequence = max(last_sequence, ?), last_sync = max(last_sync, ?)",
    )
    .bind(to_db_i64(highest_sequence, "sequence")?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(report)
}

enum Inserted {
    New,
    Superseded,
    Ignored,
    RevocationApplied,
}

async fn insert_record(
    tx: &mut Transaction<'_, Sqlite>,
    record: &Record,
) -> Result<Inserted, WalletError> {
    let sequence = to_db_i64(record.sequence(), "sequence")?;
    let bytes = record.as_bytes();
    let outcome = match record.payload() {
        Payload::Rating(rating) => {
            let held: Option<i64> = sqlx::query_scalar(
                "SELECT sequence FROM ratings WHERE game_module = ? AND rating_type = ?",
            )
            .bind(&rating.game_module)
            .bind(&rating.algorithm_id)
            .fetch_optional(&mut **tx)
            .await?;
            if held.is_some_and(|held| held >= sequence) {
                return Ok(Inserted::Ignored);
            }
            sqlx::query(
                "INSERT INTO ratings (game_module, rating_type, rating, deviation, volatility, \
                 games_played, sequence, issued_at, expires_at, revoked, scr_blob) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) \
                 ON CONFLICT (game_module, rating_type) DO UPDATE SET rating = excluded.rating, \
                 deviation = excluded.deviation, volatility = excluded.volatility, \
                 games_played = excluded.games_played, sequence = excluded.sequence, \
                 issued_at = excluded.issued_at, expires_at = excluded.expires_at, revoked = 0, \
                 scr_blob = excluded.scr_blob",
            )
            .bind(&rating.game_module)
            .bind(&rating.algorithm_id)
            .bind(rating.rating)
            .bind(rating.deviation)
            .bind(rating.volatility)
            .bind(i64::from(rating.games_played))
            .bind(sequence)
            .bind(record.issued_at())
            .bind(record.expires_at().unwrap_or(i64::MAX))
            .bind(bytes)
            .execute(&mut **tx)
            .await?;
            if held.is_some() {
                Inserted::Superseded
            } else {
                Inserted::New
            }
        }
        Payload::Match(game) => {
            let opponents: Vec<serde_json::Value> = game
                .participants
                .iter()
                .filter(|participant| participant.player_key != record.player_key())
                .map(|participant| {
                    serde_json::json!({
                        "key": participant.player_key.to_string(),
                        "team": participant.team,
                        "result": participant.result.name(),
                    })
                })
                .collect();
            let opponents = serde_json::to_vec(&opponents)
                .map_err(|error| WalletError::Corrupt(error.to_string()))?;
            let duration = to_db_i64(game.duration_ticks, "duration_ticks")?;
            let inserted = sqlx::query(
                "INSERT INTO matches (match_id, sequence, played_at, game_module, map_name, \
                 duration_ticks, result, rating_before, rating_after, opponents, revoked, scr_blob) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (match_id) DO NOTHING",
            )
            .bind(game.match_id.as_slice())
            .bind(sequence)
            .bind(game.played_at)
            .bind(&game.game_module)
            .bind(&game.map_name)
            .bind(duration)
            .bind(game.result.name())
            .bind(game.rating_before)
            .bind(game.rating_after)
            .bind(opponents)
            .bind(bytes)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                Inserted::New
            } else {
                Inserted::Ignored
            }
        }
        Payload::Achievement(achievement) => {
            // A later record of the same achievement (an optimistic claim re-issued as
            // verified) replaces the row; an older one is ignored.
            let held: Option<i64> = sqlx::query_scalar(
                "SELECT sequence FROM achievements WHERE achievement_id = ? AND game_module = ?",
            )
            .bind(&achievement.achievement_id)
            .bind(&achievement.game_module)
            .fetch_optional(&mut **tx)
            .await?;
            if held.is_some_and(|held| held >= sequence) {
                return Ok(Inserted::Ignored);
            }
            sqlx::query(
                "INSERT INTO achievements (achievement_id, game_module, unlocked_at, match_id, \
                 sequence, revoked, scr_blob) VALUES (?, ?, ?, ?, ?, 0, ?) \
                 ON CONFLICT (achievement_id, game_module) DO UPDATE SET \
                 unlocked_at = excluded.unlocked_at, match_id = excluded.match_id, \
                 sequence = excluded.sequence, revoked = 0, scr_blob = excluded.scr_blob",
            )
            .bind(&achievement.achievement_id)
            .bind(&achievement.game_module)
            .bind(achievement.unlocked_at)
            .bind(achievement.match_id.map(|id| id.to_vec()))
            .bind(sequence)
            .bind(bytes)
            .execute(&mut **tx)
            .await?;
            if held.is_some() {
                Inserted::Superseded
            } else {
                Inserted::New
            }
        }
        Payload::Revocation(revocation) => {
            let record_type = i64::from(revocation.target_record_type.to_byte());
            let min_valid = to_db_i64(revocation.min_valid_sequence, "min_valid_sequence")?;
            let changed = sqlx::query(
                "INSERT INTO revocations (record_type, min_valid_sequence, scr_blob) VALUES (?, ?, ?) \
                 ON CONFLICT (record_type) DO UPDATE SET \
                 min_valid_sequence = excluded.min_valid_sequence, scr_blob = excluded.scr_blob \
                 WHERE excluded.min_valid_sequence > revocations.min_valid_sequence",
            )
            .bind(record_type)
            .bind(min_valid)
            .bind(bytes)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if changed == 1 {
                Inserted::RevocationApplied
            } else {
                Inserted::Ignored
            }
        }
        // Rotations belong to the key chain and are stored through `FollowedChain`.
        Payload::KeyRotation(_) => Inserted::Ignored,
    };
    Ok(outcome)
}

/// Marks every stored record whose sequence is below its type's revocation minimum.
async fn mark_revoked(tx: &mut Transaction<'_, Sqlite>) -> Result<u64, WalletError> {
    let mut marked = 0;
    for (table, record_type) in [
        ("ratings", RecordType::Rating),
        ("matches", RecordType::Match),
        ("achievements", RecordType::Achievement),
    ] {
        // `table` comes from the fixed list above, never from input.
        let statement = format!(
            "UPDATE {table} SET revoked = 1 WHERE revoked = 0 AND sequence < \
             (SELECT min_valid_sequence FROM revocations WHERE record_type = ?)"
        );
        marked += sqlx::query(&statement)
            .bind(i64::from(record_type.to_byte()))
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    Ok(marked)
}
