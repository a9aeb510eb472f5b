//! The check before commit: every table holds as many rows in PostgreSQL as in SQLite, and
//! every player's `last_sequence` (what keeps sequences from being reused) is the same.

use std::collections::HashMap;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

use super::TransferError;
use super::tables::TABLES;

/// Compares the row counts of every table and the whole `players` table's key →
/// `last_sequence`; returns how many players were compared.
pub(super) async fn all(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
) -> Result<u64, TransferError> {
    for table in TABLES {
        let count = format!("SELECT COUNT(*) FROM \"{}\"", table.name);
        let read = |error| TransferError::Read {
            table: table.name,
            error,
        };
        let sqlite: i64 = sqlx::query_scalar(&count)
            .fetch_one(&mut *source)
            .await
            .map_err(read)?;
        let postgres: i64 = sqlx::query_scalar(&count)
            .fetch_one(&mut *target)
            .await
            .map_err(TransferError::postgres)?;
        if sqlite != postgres {
            return Err(TransferError::CountMismatch {
                table: table.name,
                sqlite,
                postgres,
            });
        }
    }
    players(source, target).await
}

/// Compares every player's `last_sequence`; returns how many players were compared.
async fn players(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
) -> Result<u64, TransferError> {
    const SEQUENCES: &str = "SELECT player_key, last_sequence FROM players";
    let sqlite: Vec<(Vec<u8>, i64)> = sqlx::query_as(SEQUENCES)
        .fetch_all(&mut *source)
        .await
        .map_err(|error| TransferError::Read {
            table: "players",
            error,
        })?;
    let postgres: HashMap<Vec<u8>, i64> = sqlx::query_as(SEQUENCES)
        .fetch_all(&mut *target)
        .await
        .map_err(TransferError::postgres)?
        .into_iter()
        .collect();
    let differing = sqlite
        .iter()
        .filter(|(key, sequence)| postgres.get(key) != Some(sequence))
        .count();
    // The counts are equal (checked first), so every PostgreSQL player was compared too.
    if differing > 0 || postgres.len() != sqlite.len() {
        return Err(TransferError::SequenceMismatch(differing));
    }
    Ok(sqlite.len() as u64)
}
