//! Inclusion and consistency proofs for the log's HTTP endpoints: the sizes are checked
//! against the log as it stands, then the stored hashes a proof needs are read in one query.

use transparency::{
    Hash, ProveError, consistency_from, consistency_indexes, inclusion_from, inclusion_indexes,
};

use crate::store::{StoreError, TransparencyLog};

/// Why a proof was not made.
#[derive(Debug, thiserror::Error)]
pub enum ProofRequestError {
    /// No leaf of the log has this hash.
    #[error("no record with this leaf hash is in the log")]
    UnknownLeaf,
    /// The sizes asked for do not fit the log (larger than it, or in the wrong order).
    #[error("{0}")]
    OutOfRange(String),
    /// The log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An inclusion proof: the leaf's index, the tree size it is proved in, and the audit path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inclusion {
    /// The leaf's index in the log.
    pub leaf_index: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The audit path, leaf side first (RFC 9162 §2.1.3.1).
    pub hashes: Vec<Hash>,
}

/// Proves that the leaf with hash `leaf` is in the log's tree of `tree_size` leaves.
pub async fn inclusion(
    log: &dyn TransparencyLog,
    leaf: &Hash,
    tree_size: u64,
) -> Result<Inclusion, ProofRequestError> {
    within_log(log, tree_size).await?;
    let leaf_index = log
        .leaf_index(leaf)
        .await?
        .ok_or(ProofRequestError::UnknownLeaf)?;
    let positions = inclusion_indexes(tree_size, leaf_index).map_err(out_of_range)?;
    let stored = log.stored_hashes(&positions).await?;
    let hashes = inclusion_from(tree_size, leaf_index, &stored).map_err(corrupt)?;
    Ok(Inclusion {
        leaf_index,
        tree_size,
        hashes,
    })
}

/// Proves that the log's tree of `second` leaves extends its tree of `first`.
pub async fn consistency(
    log: &dyn TransparencyLog,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ProofRequestError> {
    within_log(log, second).await?;
    let positions = consistency_indexes(first, second).map_err(out_of_range)?;
    let stored = log.stored_hashes(&positions).await?;
    consistency_from(first, second, &stored).map_err(corrupt)
}

/// Fails unless the log has at least `size` leaves.
async fn within_log(log: &dyn TransparencyLog, size: u64) -> Result<(), ProofRequestError> {
    let logged = log.log_frontier().await?.size();
    if size > logged {
        return Err(ProofRequestError::OutOfRange(format!(
            "tree size {size} is larger than the log ({logged} leaves)"
        )));
    }
    Ok(())
}

fn out_of_range(error: ProveError) -> ProofRequestError {
    ProofRequestError::OutOfRange(error.to_string())
}

/// The stored hashes did not make a proof: the log's storage is damaged.
fn corrupt(error: ProveError) -> ProofRequestError {
    ProofRequestError::Store(StoreError::Corrupt(format!("transparency log: {error}")))
}
