//! Checking proofs without the tree: what a wallet does with the inclusion proof of a record it
//! holds, and what a wallet or witness does with a consistency proof between two checkpoints.
//!
//! Each check rebuilds the root the proof implies (RFC 9162 §2.1.3.2 and §2.1.4.2, in the
//! recursive form of RFC 6962) and compares it with the signed one.

use crate::hash::{Hash, node_hash, split};

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The sizes or index cannot have a proof (an index past the end, a first size of 0, a
    /// second size below the first).
    #[error("no such proof: {0}")]
    Impossible(&'static str),
    /// The proof has too few or too many hashes for the sizes.
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    /// The proof does not lead to the signed root: the log is not what it claims.
    #[error("the proof does not match the signed root")]
    Mismatch,
}

/// Checks that `proof` shows leaf hash `leaf` at `index` in the tree of `size` leaves whose
/// root is `root`.
pub fn verify_inclusion(
    proof: &[Hash],
    size: u64,
    root: &Hash,
    index: u64,
    leaf: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Impossible(
            "the index is not below the tree size",
        ));
    }
    let implied = inclusion_root(proof, 0, size, index, leaf)?;
    if implied == *root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The root of leaves `[lo, hi)` that `proof` implies for leaf `n` with hash `leaf`.
fn inclusion_root(
    proof: &[Hash],
    lo: u64,
    hi: u64,
    n: u64,
    leaf: &Hash,
) -> Result<Hash, ProofError> {
    if lo + 1 == hi {
        return if proof.is_empty() {
            Ok(*leaf)
        } else {
            Err(ProofError::WrongLength)
        };
    }
    let (sibling, rest) = proof.split_last().ok_or(ProofError::WrongLength)?;
    let (k, _) = split(hi - lo);
    if n < lo + k {
        let left = inclusion_root(rest, lo, lo + k, n, leaf)?;
        Ok(node_hash(&left, sibling))
    } else {
        let right = inclusion_root(rest, lo + k, hi, n, leaf)?;
        Ok(node_hash(sibling, &right))
    }
}

/// Checks that `proof` shows the tree of `new_size` leaves with root `new_root` extends the tree
/// of `old_size` leaves with root `old_root`: nothing the old tree held was changed or removed.
pub fn verify_consistency(
    proof: &[Hash],
    new_size: u64,
    new_root: &Hash,
    old_size: u64,
    old_root: &Hash,
) -> Result<(), ProofError> {
    if old_size == 0 {
        return Err(ProofError::Impossible(
            "a proof from the empty tree proves nothing",
        ));
    }
    if old_size > new_size {
        return Err(ProofError::Impossible("the first size is above the second"));
    }
    let (old, new) = consistency_roots(proof, 0, new_size, old_size, old_root)?;
    if old == *old_root && new == *new_root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The roots of leaves `[lo, hi)` in the old tree (of `old` leaves) and in the new one that
/// `proof` implies.
fn consistency_roots(
    proof: &[Hash],
    lo: u64,
    hi: u64,
    old: u64,
    old_root: &Hash,
) -> Result<(Hash, Hash), ProofError> {
    if old == hi {
        return match (lo, proof) {
            (0, []) => Ok((*old_root, *old_root)),
            (0, _) => Err(ProofError::WrongLength),
            (_, [common]) => Ok((*common, *common)),
            _ => Err(ProofError::WrongLength),
        };
    }
    let (sibling, rest) = proof.split_last().ok_or(ProofError::WrongLength)?;
    let (k, _) = split(hi - lo);
    if old <= lo + k {
        let (old_left, new_left) = consistency_roots(rest, lo, lo + k, old, old_root)?;
        Ok((old_left, node_hash(&new_left, sibling)))
    } else {
        let (old_right, new_right) = consistency_roots(rest, lo + k, hi, old, old_root)?;
        Ok((
            node_hash(sibling, &old_right),
            node_hash(sibling, &new_right),
        ))
    }
}
