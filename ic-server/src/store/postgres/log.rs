//! The transparency log on PostgreSQL: leaves appended inside each issuing transaction, and
//! [`TransparencyLog`] read through the pool.
//!
//! Several processes issue at once, so an append locks the tree's row (`FOR UPDATE`) and
//! holds it to the commit: leaves get their indexes in commit order, none twice. Callers take
//! this lock last, after their players, so it is held only for the final statements and two
//! issuing transactions never wait on each other in opposite orders.

use async_trait::async_trait;
use sqlx::{Connection, PgConnection, Row};
use transparency::{Frontier, Hash};

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::transparency::{
    ADD_COSIGNATURES_SQL, LogRows, StoredCheckpoint, TransparencyLog, checkpoint_of, count,
    frontier_of, in_order,
};

/// Appends the leaves of `records` (in the order they were issued) inside the caller's
/// transaction: two round trips, and none when nothing was issued.
pub(super) async fn append<'a>(
    conn: &mut PgConnection,
    records: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), StoreError> {
    let records: Vec<&[u8]> = records.into_iter().collect();
    if records.is_empty() {
        return Ok(());
    }
    let row = sqlx::query("SELECT size, frontier FROM transparency_tree WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *conn)
        .await?;
    let rows = LogRows::append(
        row.try_get("size")?,
        &row.try_get::<Vec<u8>, _>("frontier")?,
        records,
    )?;
    sqlx::query(
        "WITH hash_rows AS ( \
           INSERT INTO transparency_hashes (position, hash) \
           SELECT * FROM unnest($1::int8[], $2::bytea[]) RETURNING 1), \
         leaf_rows AS ( \
           INSERT INTO transparency_leaves (leaf_hash, leaf_index) \
           SELECT * FROM unnest($3::bytea[], $4::int8[]) RETURNING 1) \
         UPDATE transparency_tree SET size = $5, frontier = $6 WHERE id = 1",
    )
    .bind(&rows.positions)
    .bind(&rows.hashes)
    .bind(&rows.leaf_hashes)
    .bind(&rows.leaf_indexes)
    .bind(rows.size)
    .bind(&rows.frontier)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends every record issued before the log existed, once: the key rotations in order, then
/// the players' records in the order they were issued. Runs at open; a second process opening
/// at the same time waits on the tree's row and finds the work done.
pub(super) async fn backfill(conn: &mut PgConnection) -> Result<(), StoreError> {
    let mut tx = conn.begin().await?;
    let done: bool =
        sqlx::query_scalar("SELECT backfilled FROM transparency_tree WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
    if done {
        return Ok(());
    }
    let mut records: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT record FROM key_rotations ORDER BY sequence")
            .fetch_all(&mut *tx)
            .await?;
    records.extend(
        sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT record FROM issued_records ORDER BY issued_at, player_key, sequence",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    append(&mut tx, records.iter().map(Vec::as_slice)).await?;
    sqlx::query("UPDATE transparency_tree SET backfilled = true WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[async_trait]
impl TransparencyLog for PostgresStore {
    async fn log_frontier(&self) -> Result<Frontier, StoreError> {
        let _timer = self.timer("log_frontier");
        let row = sqlx::query("SELECT size, frontier FROM transparency_tree WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        frontier_of(&row)
    }

    async fn stored_hashes(&self, positions: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let _timer = self.timer("stored_hashes");
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let keys = positions
            .iter()
            .map(|&p| i64::try_from(p))
            .collect::<Result<Vec<i64>, _>>()
            .map_err(|_| StoreError::Corrupt("transparency log position out of range".into()))?;
        let rows = sqlx::query(
            "SELECT position, hash FROM transparency_hashes WHERE position = ANY($1::int8[])",
        )
        .bind(keys)
        .fetch_all(&self.pool)
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
            sqlx::query_scalar("SELECT leaf_index FROM transparency_leaves WHERE leaf_hash = $1")
                .bind(leaf.as_slice())
                .fetch_optional(&self.pool)
                .await?;
        index.map(|index| count(index, "leaf index")).transpose()
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let _timer = self.timer("latest_checkpoint");
        let row = sqlx::query(
            "SELECT tree_size, note, signed_at FROM transparency_checkpoint WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| checkpoint_of(&row)).transpose()
    }

    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<bool, StoreError> {
        let _timer = self.timer("save_checkpoint");
        let size = i64::try_from(checkpoint.tree_size)
            .map_err(|_| StoreError::WriteFailed("checkpoint size out of range".into()))?;
        let saved = sqlx::query(
            "INSERT INTO transparency_checkpoint (id, tree_size, note, signed_at) \
             VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET \
             tree_size = excluded.tree_size, note = excluded.note, \
             signed_at = excluded.signed_at \
             WHERE excluded.tree_size > transparency_checkpoint.tree_size",
        )
        .bind(size)
        .bind(&checkpoint.note)
        .bind(checkpoint.signed_at)
        .execute(&self.pool)
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
            .execute(&self.pool)
            .await?;
        Ok(added.rows_affected() == 1)
    }
}
