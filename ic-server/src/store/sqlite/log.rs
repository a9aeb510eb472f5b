//! The transparency log on SQLite: leaves appended inside the writer thread's issuing
//! transactions, and [`TransparencyLog`] read through the read pool.
//!
//! Every credential-issuing write runs on the one writer connection in an `IMMEDIATE`
//! transaction, so the tree's row needs no lock of its own: the transaction holds SQLite's.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sqlx::Row;
use transparency::{Frontier, Hash};

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::transparency::{
    ADD_COSIGNATURES_SQL, LogRows, StoredCheckpoint, TransparencyLog, checkpoint_of, count,
    frontier_of, in_order,
};

/// Appends the leaves of `records` (in the order they were issued) inside the caller's
/// transaction.
pub(super) fn append<'a>(
    conn: &Connection,
    records: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), StoreError> {
    let mut records = records.into_iter().peekable();
    // A change that issues nothing does not touch the tree.
    if records.peek().is_none() {
        return Ok(());
    }
    let (size, frontier): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT size, frontier FROM transparency_tree WHERE id = 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let rows = LogRows::append(size, &frontier, records)?;
    let mut hash =
        conn.prepare_cached("INSERT INTO transparency_hashes (position, hash) VALUES (?1, ?2)")?;
    for (position, bytes) in rows.positions.iter().zip(&rows.hashes) {
        hash.execute(params![position, bytes])?;
    }
    let mut leaf = conn.prepare_cached(
        "INSERT INTO transparency_leaves (leaf_hash, leaf_index) VALUES (?1, ?2)",
    )?;
    for (bytes, index) in rows.leaf_hashes.iter().zip(&rows.leaf_indexes) {
        leaf.execute(params![bytes, index])?;
    }
    conn.prepare_cached("UPDATE transparency_tree SET size = ?1, frontier = ?2 WHERE id = 1")?
        .execute(params![rows.size, rows.frontier])?;
    Ok(())
}

/// Appends every record issued before the log existed, once: the key rotations in order, then
/// the players' records in the order they were issued. Runs at open, before any writer.
pub(super) fn backfill(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done: Option<bool> = tx
        .query_row(
            "SELECT backfilled FROM transparency_tree WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if done != Some(false) {
        return Ok(());
    }
    let mut records: Vec<Vec<u8>> = Vec::new();
    for query in [
        "SELECT record FROM key_rotations ORDER BY sequence",
        "SELECT record FROM issued_records ORDER BY issued_at, rowid",
    ] {
        let mut statement = tx.prepare(query)?;
        let rows = statement.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
        for row in rows {
            records.push(row?);
        }
    }
    append(&tx, records.iter().map(Vec::as_slice))?;
    tx.execute(
        "UPDATE transparency_tree SET backfilled = 1 WHERE id = 1",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

#[async_trait]
impl TransparencyLog for SqliteStore {
    async fn log_frontier(&self) -> Result<Frontier, StoreError> {
        let _timer = self.timer("log_frontier");
        let row = sqlx::query("SELECT size, frontier FROM transparency_tree WHERE id = 1")
            .fetch_one(&self.read)
            .await?;
        frontier_of(&row)
    }

    async fn stored_hashes(&self, positions: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let _timer = self.timer("stored_hashes");
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        // At most about 2 log₂ n positions (a proof's): one statement with a JSON array.
        let list = serde_json::to_string(positions)
            .map_err(|error| StoreError::Database(error.to_string()))?;
        let rows = sqlx::query(
            "SELECT position, hash FROM transparency_hashes \
             WHERE position IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.read)
        .await?;
        let rows = rows
            .iter()
            .map(|row| Ok((row.try_get("position")?, row.try_get("hash")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        in_order(positions, rows)
    }

    async fn leaf_index(&self, leaf: &Hash) -> Result<Option<u64>, StoreError> {
        let _timer = self.timer("leaf_index");
        let index: Option<i64> =
            sqlx::query_scalar("SELECT leaf_index FROM transparency_leaves WHERE leaf_hash = ?")
                .bind(leaf.as_slice())
                .fetch_optional(&self.read)
                .await?;
        index.map(|index| count(index, "leaf index")).transpose()
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let _timer = self.timer("latest_checkpoint");
        let row = sqlx::query(
            "SELECT tree_size, note, signed_at FROM transparency_checkpoint WHERE id = 1",
        )
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| checkpoint_of(&row)).transpose()
    }

    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<bool, StoreError> {
        let _timer = self.timer("save_checkpoint");
        let size = i64::try_from(checkpoint.tree_size)
            .map_err(|_| StoreError::WriteFailed("checkpoint size out of range".into()))?;
        let saved = sqlx::query(
            "INSERT INTO transparency_checkpoint (id, tree_size, note, signed_at) \
             VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, \
             note = excluded.note, signed_at = excluded.signed_at \
             WHERE excluded.tree_size > transparency_checkpoint.tree_size",
        )
        .bind(size)
        .bind(&checkpoint.note)
        .bind(checkpoint.signed_at)
        .execute(&self.write)
        .await?;
        Ok(saved.rows_affected() == 1)
    }

    async fn add_cosignatures(&self, tree_size: u64, lines: &str) -> Result<bool, StoreError> {
        let _timer = self.timer("add_cosignatures");
        let size = i64::try_from(tree_size)
            .map_err(|_| StoreError::WriteFailed("checkpoint size out of range".into()))?;
        let added = sqlx::query(ADD_COSIGNATURES_SQL)
            .bind(lines)
            .bind(size)
            .execute(&self.write)
            .await?;
        Ok(added.rows_affected() == 1)
    }
}
