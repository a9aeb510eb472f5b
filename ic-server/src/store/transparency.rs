//! The transparency log as stored: the tree's size and right border, its subtree hashes, each
//! leaf's position by hash, and the newest signed checkpoint ([`TransparencyLog`] reads them).
//!
//! Writing is not a trait method: every backend appends the leaves of the records it issues
//! inside the transaction that issues them ([`LogRows::append`] plans the rows), so a record
//! is never issued without its leaf. Backends lock the tree's row while they do, which orders
//! leaves across processes; they lock it last, after the players, so no two writers deadlock.

use async_trait::async_trait;
use transparency::{Frontier, Hash, leaf_hash};

use super::StoreError;
use super::columns::Columns;

/// The newest checkpoint the community signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it covers.
    pub tree_size: u64,
    /// The signed note (C2SP `signed-note` carrying a `tlog-checkpoint`), as served.
    pub note: String,
    /// When it was signed (Unix seconds).
    pub signed_at: i64,
}

/// Reading the transparency log, and keeping its checkpoint.
#[async_trait]
pub trait TransparencyLog: Send + Sync + 'static {
    /// The tree as it stands: its size and right border (from which its root follows).
    async fn log_frontier(&self) -> Result<Frontier, StoreError>;

    /// The stored hashes at `positions`, in that order; a missing one is corrupt data.
    async fn stored_hashes(&self, positions: &[u64]) -> Result<Vec<Hash>, StoreError>;

    /// The index of the leaf with hash `leaf`, if the log holds it.
    async fn leaf_index(&self, leaf: &Hash) -> Result<Option<u64>, StoreError>;

    /// The newest signed checkpoint, if one was signed.
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// Keeps `checkpoint` unless one of the same or a larger tree is kept already (another
    /// process signed first); returns whether it was kept.
    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<bool, StoreError>;

    /// Appends witnesses' cosignature `lines` (each ending in a newline) to the kept
    /// checkpoint if it still covers `tree_size`; returns whether it did.
    async fn add_cosignatures(&self, tree_size: u64, lines: &str) -> Result<bool, StoreError>;
}

/// The update both backends run for [`TransparencyLog::add_cosignatures`].
pub(crate) const ADD_COSIGNATURES_SQL: &str = "UPDATE transparency_checkpoint \
     SET note = note || $1 WHERE id = 1 AND tree_size = $2";

/// The rows one append writes: the hashes at consecutive positions, each new leaf's index by
/// hash, and the tree's new size and border. Integers are `i64`, as both databases store them.
#[derive(Debug, Clone)]
pub(crate) struct LogRows {
    /// Position of each hash in `hashes`.
    pub positions: Vec<i64>,
    /// The leaf hashes and the subtree hashes they completed.
    pub hashes: Vec<Vec<u8>>,
    /// Each new leaf's hash.
    pub leaf_hashes: Vec<Vec<u8>>,
    /// Each new leaf's index, in step with `leaf_hashes`.
    pub leaf_indexes: Vec<i64>,
    /// The tree's size after the append.
    pub size: i64,
    /// The tree's border after the append ([`Frontier::to_bytes`]).
    pub frontier: Vec<u8>,
}

impl LogRows {
    /// Plans appending `records` (as issued, in order) to the tree stored as `size` and
    /// `frontier` bytes.
    pub(crate) fn append<'a>(
        size: i64,
        frontier: &[u8],
        records: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, StoreError> {
        let corrupt = |error: transparency::FrontierError| {
            StoreError::Corrupt(format!("transparency log: {error}"))
        };
        let size = u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("transparency log size {size}")))?;
        let mut tree = Frontier::from_bytes(size, frontier).map_err(corrupt)?;
        let leaves: Vec<Hash> = records.into_iter().map(leaf_hash).collect();
        let appended = tree.append(&leaves).map_err(corrupt)?;
        let position = |offset: usize| int(appended.first_position + offset as u64);
        Ok(Self {
            positions: (0..appended.hashes.len())
                .map(position)
                .collect::<Result<_, _>>()?,
            hashes: appended.hashes.iter().map(|h| h.to_vec()).collect(),
            leaf_indexes: (0..leaves.len())
                .map(|offset| int(size + offset as u64))
                .collect::<Result<_, _>>()?,
            leaf_hashes: leaves.iter().map(|h| h.to_vec()).collect(),
            size: int(tree.size())?,
            frontier: tree.to_bytes(),
        })
    }
}

/// A tree position or size as the databases store it.
fn int(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::WriteFailed("the transparency log is full".into()))
}

/// Decodes a stored 32-byte hash.
fn stored_hash(bytes: &[u8]) -> Result<Hash, StoreError> {
    bytes.try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "transparency log hash of {} bytes, not 32",
            bytes.len()
        ))
    })
}

/// Decodes stored `(position, hash)` rows into the hashes at `positions`, in that order.
pub(crate) fn in_order(
    positions: &[u64],
    rows: impl IntoIterator<Item = (i64, Vec<u8>)>,
) -> Result<Vec<Hash>, StoreError> {
    let found: std::collections::HashMap<i64, Vec<u8>> = rows.into_iter().collect();
    positions
        .iter()
        .map(|&position| {
            let bytes = i64::try_from(position)
                .ok()
                .and_then(|key| found.get(&key))
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("transparency log hash {position} is missing"))
                })?;
            stored_hash(bytes)
        })
        .collect()
}

/// Decodes the tree's row (`size`, `frontier`).
pub(crate) fn frontier_of(row: &impl Columns) -> Result<Frontier, StoreError> {
    let size = count(row.int("size")?, "size")?;
    Frontier::from_bytes(size, &row.blob("frontier")?)
        .map_err(|error| StoreError::Corrupt(format!("transparency log: {error}")))
}

/// Decodes the checkpoint's row (`tree_size`, `note`, `signed_at`).
pub(crate) fn checkpoint_of(row: &impl Columns) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        tree_size: count(row.int("tree_size")?, "checkpoint size")?,
        note: row.text("note")?,
        signed_at: row.int("signed_at")?,
    })
}

/// A stored size or index, which is never negative.
pub(crate) fn count(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("transparency log {what} {value}")))
}
