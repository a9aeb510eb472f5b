//! What this community keeps as a witness of other communities' logs: per log (by origin), the
//! last checkpoint it cosigned, moved forward only from the size the request started from.
//!
//! The compare-and-set is the store's, so two processes of one community answering requests
//! for the same log at once never roll it back (C2SP `tlog-witness`'s race).

use async_trait::async_trait;
use transparency::Hash;

use super::StoreError;

/// The last checkpoint this community cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedCheckpoint {
    /// The log's origin.
    pub origin: String,
    /// The tree size cosigned.
    pub tree_size: u64,
    /// Its root.
    pub root: Hash,
    /// The note as submitted (the log's signature on it verified).
    pub note: String,
    /// When it was cosigned (Unix seconds).
    pub cosigned_at: i64,
}

/// The witness's state, one row per witnessed log.
#[async_trait]
pub trait WitnessLog: Send + Sync + 'static {
    /// The last checkpoint cosigned for the log `origin`, if any.
    async fn witnessed(&self, origin: &str) -> Result<Option<WitnessedCheckpoint>, StoreError>;

    /// Records `checkpoint` as the last cosigned for its log if the one recorded now has
    /// `old_size` leaves (or none is recorded and `old_size` is 0); returns whether it did.
    async fn advance_witnessed(
        &self,
        old_size: u64,
        checkpoint: &WitnessedCheckpoint,
    ) -> Result<bool, StoreError>;
}

/// The statement both backends run to move a log forward from `$6` leaves: an insert when
/// the witness never cosigned for the log (`$6` is 0), an update of the row at `$6` otherwise.
/// Each is one atomic statement; it changes no row when another request moved the log first.
pub(crate) fn advance_sql(old_size: u64) -> &'static str {
    if old_size == 0 {
        "INSERT INTO witnessed_checkpoints (origin, tree_size, root, note, cosigned_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (origin) DO UPDATE SET \
         tree_size = excluded.tree_size, root = excluded.root, note = excluded.note, \
         cosigned_at = excluded.cosigned_at WHERE witnessed_checkpoints.tree_size = $6"
    } else {
        "UPDATE witnessed_checkpoints SET tree_size = $2, root = $3, note = $4, \
         cosigned_at = $5 WHERE origin = $1 AND tree_size = $6"
    }
}

/// The select both backends run.
pub(crate) const WITNESSED_SQL: &str = "SELECT origin, tree_size, root, note, cosigned_at \
     FROM witnessed_checkpoints WHERE origin = $1";

/// Reads a row of [`WITNESSED_SQL`].
pub(crate) fn witnessed_of<R: super::columns::Columns>(
    row: &R,
) -> Result<WitnessedCheckpoint, StoreError> {
    let size: i64 = row.int("tree_size")?;
    let root: Vec<u8> = row.blob("root")?;
    Ok(WitnessedCheckpoint {
        origin: row.text("origin")?,
        tree_size: u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("witnessed tree size {size}")))?,
        root: root
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("witnessed root is not 32 bytes".into()))?,
        note: row.text("note")?,
        cosigned_at: row.int("cosigned_at")?,
    })
}

/// A size as both databases store it.
pub(crate) fn stored_size(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::WriteFailed("tree size out of range".into()))
}

/// Implements [`WitnessLog`] for a backend's store whose pools for reading and writing are the
/// fields `$read` and `$write`: the SQL is the same on both backends, so one body serves both.
macro_rules! witness_log_on {
    ($store:ty, $read:ident, $write:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::WitnessLog for $store {
            async fn witnessed(
                &self,
                origin: &str,
            ) -> Result<Option<$crate::store::WitnessedCheckpoint>, $crate::store::StoreError> {
                let _timer = self.timer("witnessed");
                let row = sqlx::query($crate::store::witness::WITNESSED_SQL)
                    .bind(origin)
                    .fetch_optional(&self.$read)
                    .await?;
                row.map(|row| $crate::store::witness::witnessed_of(&row))
                    .transpose()
            }

            async fn advance_witnessed(
                &self,
                old_size: u64,
                checkpoint: &$crate::store::WitnessedCheckpoint,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::witness::{advance_sql, stored_size};
                let _timer = self.timer("advance_witnessed");
                let advanced = sqlx::query(advance_sql(old_size))
                    .bind(&checkpoint.origin)
                    .bind(stored_size(checkpoint.tree_size)?)
                    .bind(checkpoint.root.as_slice())
                    .bind(&checkpoint.note)
                    .bind(checkpoint.cosigned_at)
                    .bind(stored_size(old_size)?)
                    .execute(&self.$write)
                    .await?;
                Ok(advanced.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use witness_log_on;
