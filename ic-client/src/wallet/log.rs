//! What the wallet keeps of its community's transparency log: the checkpoints it accepted (each
//! with the consistency proof from the one before), each held record's inclusion proof, and the
//! evidence of any fork or rewrite, so `ic audit` can re-check all of it offline.

use sqlx::Row;
use transparency::Hash;

use super::{CommunityStore, WalletError};

/// A checkpoint the wallet accepted: its signature verified and it extends the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCheckpoint {
    /// Leaves in the tree.
    pub tree_size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// The signed note as served.
    pub note: String,
    /// The consistency proof from the previous accepted checkpoint (empty for the first).
    pub consistency: Vec<Hash>,
    /// When the wallet saw it (Unix seconds).
    pub seen_at: i64,
}

/// An inclusion proof of one held record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProof {
    /// The record's leaf hash.
    pub leaf_hash: Hash,
    /// Its index in the log.
    pub leaf_index: u64,
    /// The accepted checkpoint it is proved against.
    pub tree_size: u64,
    /// The audit path.
    pub hashes: Vec<Hash>,
}

/// What showed the community forking or rewriting its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What kind (`inconsistent_checkpoint`, `two_roots`, `record_not_logged`, …).
    pub kind: String,
    /// What exactly was wrong.
    pub detail: String,
    /// The signed note that showed it.
    pub note: String,
    /// The accepted note it contradicts, if any.
    pub other_note: Option<String>,
    /// When it was found (Unix seconds).
    pub found_at: i64,
}

impl CommunityStore {
    /// The accepted checkpoints, oldest first.
    pub async fn log_checkpoints(&self) -> Result<Vec<SeenCheckpoint>, WalletError> {
        let rows = sqlx::query(
            "SELECT tree_size, root, note, consistency, seen_at FROM log_checkpoints \
             ORDER BY tree_size",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SeenCheckpoint {
                    tree_size: count(row.try_get("tree_size")?)?,
                    root: hash(&row.try_get::<Vec<u8>, _>("root")?)?,
                    note: row.try_get("note")?,
                    consistency: hashes(&row.try_get::<Vec<u8>, _>("consistency")?)?,
                    seen_at: row.try_get("seen_at")?,
                })
            })
            .collect()
    }

    /// Keeps an accepted checkpoint (a second one of the same size is ignored).
    pub async fn accept_checkpoint(&self, checkpoint: &SeenCheckpoint) -> Result<(), WalletError> {
        sqlx::query(
            "INSERT INTO log_checkpoints (tree_size, root, note, consistency, seen_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
        )
        .bind(int("tree_size", checkpoint.tree_size)?)
        .bind(checkpoint.root.as_slice())
        .bind(&checkpoint.note)
        .bind(checkpoint.consistency.concat())
        .bind(checkpoint.seen_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every kept inclusion proof.
    pub async fn record_proofs(&self) -> Result<Vec<RecordProof>, WalletError> {
        let rows = sqlx::query("SELECT leaf_hash, leaf_index, tree_size, hashes FROM log_proofs")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RecordProof {
                    leaf_hash: hash(&row.try_get::<Vec<u8>, _>("leaf_hash")?)?,
                    leaf_index: count(row.try_get("leaf_index")?)?,
                    tree_size: count(row.try_get("tree_size")?)?,
                    hashes: hashes(&row.try_get::<Vec<u8>, _>("hashes")?)?,
                })
            })
            .collect()
    }

    /// Keeps a verified inclusion proof (replacing an earlier one of the same record).
    pub async fn keep_proof(&self, proof: &RecordProof) -> Result<(), WalletError> {
        sqlx::query(
            "INSERT OR REPLACE INTO log_proofs (leaf_hash, leaf_index, tree_size, hashes) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(proof.leaf_hash.as_slice())
        .bind(int("leaf_index", proof.leaf_index)?)
        .bind(int("tree_size", proof.tree_size)?)
        .bind(proof.hashes.concat())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps evidence of a fork or rewrite.
    pub async fn add_evidence(&self, evidence: &Evidence) -> Result<(), WalletError> {
        sqlx::query(
            "INSERT INTO log_evidence (kind, detail, note, other_note, found_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&evidence.kind)
        .bind(&evidence.detail)
        .bind(&evidence.note)
        .bind(&evidence.other_note)
        .bind(evidence.found_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// All evidence kept, oldest first.
    pub async fn evidence(&self) -> Result<Vec<Evidence>, WalletError> {
        let rows = sqlx::query(
            "SELECT kind, detail, note, other_note, found_at FROM log_evidence ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Evidence {
                    kind: row.try_get("kind")?,
                    detail: row.try_get("detail")?,
                    note: row.try_get("note")?,
                    other_note: row.try_get("other_note")?,
                    found_at: row.try_get("found_at")?,
                })
            })
            .collect()
    }

    /// The bytes of every record the wallet holds that the community logged: its records of
    /// every type and the key rotations of its chain.
    pub async fn logged_records(&self) -> Result<Vec<Vec<u8>>, WalletError> {
        let mut all = self.rotation_records().await?;
        all.extend(self.records().await?.into_iter().map(|record| record.bytes));
        Ok(all)
    }
}

fn int(field: &'static str, value: u64) -> Result<i64, WalletError> {
    i64::try_from(value).map_err(|_| WalletError::OutOfRange { field, value })
}

fn count(value: i64) -> Result<u64, WalletError> {
    u64::try_from(value).map_err(|_| WalletError::Corrupt(format!("log size or index {value}")))
}

fn hash(bytes: &[u8]) -> Result<Hash, WalletError> {
    bytes
        .try_into()
        .map_err(|_| WalletError::Corrupt(format!("a log hash of {} bytes", bytes.len())))
}

fn hashes(bytes: &[u8]) -> Result<Vec<Hash>, WalletError> {
    if bytes.len() % 32 != 0 {
        return Err(WalletError::Corrupt(format!(
            "log hashes of {} bytes",
            bytes.len()
        )));
    }
    bytes.chunks_exact(32).map(hash).collect()
}
