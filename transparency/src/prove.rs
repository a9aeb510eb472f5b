//! The root of a tree of any size, and inclusion and consistency proofs, from stored hashes:
//! each has a function naming the stored hashes it needs and one computing from them, so the
//! storage (a database, in the server) is read in one round trip and no I/O happens here.
//!
//! The recursion follows RFC 6962 §2.1.1 and §2.1.2: split at the largest power of two below the
//! size; complete subtrees come from storage, the right fringe is recomputed. The same recursion
//! runs twice, once naming the stored hashes and once consuming them, so the two cannot disagree
//! on which hashes come in which order.

use crate::hash::{EMPTY_ROOT, Hash, node_hash, split};
use crate::stored::stored_hash_index;

/// Why a proof or root could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError {
    /// The leaf index or tree sizes are outside what the tree holds.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// The storage returned another number of hashes than were asked for.
    #[error("the storage answered {got} hashes for {asked} asked")]
    WrongCount {
        /// How many were asked for.
        asked: usize,
        /// How many came.
        got: usize,
    },
}

/// Where the recursion gets the hashes of complete subtrees.
trait Subtrees {
    /// The stored hash of the complete subtree of `2^level` leaves numbered `n` at that level.
    fn stored(&mut self, level: u32, n: u64) -> Result<Hash, ProveError>;
    /// The hash of an interior node above `left` and `right`.
    fn node(&self, left: &Hash, right: &Hash) -> Hash;
}

/// The naming pass: records which stored hashes are read, in order; hashes nothing.
#[derive(Default)]
struct Needed(Vec<u64>);

impl Subtrees for Needed {
    fn stored(&mut self, level: u32, n: u64) -> Result<Hash, ProveError> {
        self.0.push(stored_hash_index(level, n));
        Ok([0; 32])
    }

    fn node(&self, _: &Hash, _: &Hash) -> Hash {
        [0; 32]
    }
}

/// The computing pass: the hashes read for it, taken from the front in the order named.
struct Cursor<'a> {
    hashes: &'a [Hash],
}

impl<'a> Cursor<'a> {
    /// A cursor over `hashes`, which must be exactly the `asked` hashes named.
    fn new(hashes: &'a [Hash], asked: usize) -> Result<Self, ProveError> {
        if hashes.len() != asked {
            return Err(ProveError::WrongCount {
                asked,
                got: hashes.len(),
            });
        }
        Ok(Self { hashes })
    }
}

impl Subtrees for Cursor<'_> {
    fn stored(&mut self, _: u32, _: u64) -> Result<Hash, ProveError> {
        // `new` checked the count against the naming pass, which asks in this same order.
        let (first, rest) = self
            .hashes
            .split_first()
            .ok_or(ProveError::OutOfRange("more hashes read than named".into()))?;
        self.hashes = rest;
        Ok(*first)
    }

    fn node(&self, left: &Hash, right: &Hash) -> Hash {
        node_hash(left, right)
    }
}

/// The largest power of two at most `n` (`n ≥ 1`), and its log.
fn pow2_at_most(n: u64) -> (u64, u32) {
    if n == 1 { (1, 0) } else { split(n + 1) }
}

/// The hash of leaves `[lo, hi)`: the complete subtrees that make it up, folded from the right.
fn subtree_hash(lo: u64, hi: u64, from: &mut impl Subtrees) -> Result<Hash, ProveError> {
    let mut pieces = Vec::new();
    let mut at = lo;
    while at < hi {
        let (k, level) = pow2_at_most(hi - at);
        pieces.push(from.stored(level, at >> level)?);
        at += k;
    }
    let (last, rest) = pieces
        .split_last()
        .ok_or_else(|| ProveError::OutOfRange("empty subtree".into()))?;
    Ok(rest
        .iter()
        .rev()
        .fold(*last, |right, left| from.node(left, &right)))
}

/// The inclusion path of leaf `n` within leaves `[lo, hi)`, leaf side first.
fn inclusion_path(
    lo: u64,
    hi: u64,
    n: u64,
    from: &mut impl Subtrees,
) -> Result<Vec<Hash>, ProveError> {
    if lo + 1 == hi {
        // The verifier has the leaf; nothing to send for it.
        return Ok(Vec::new());
    }
    let (k, _) = split(hi - lo);
    let (mut path, sibling) = if n < lo + k {
        let path = inclusion_path(lo, lo + k, n, from)?;
        (path, subtree_hash(lo + k, hi, from)?)
    } else {
        let sibling = subtree_hash(lo, lo + k, from)?;
        (inclusion_path(lo + k, hi, n, from)?, sibling)
    };
    path.push(sibling);
    Ok(path)
}

/// The consistency path from the tree of `old` leaves within leaves `[lo, hi)`.
fn consistency_path(
    lo: u64,
    hi: u64,
    old: u64,
    from: &mut impl Subtrees,
) -> Result<Vec<Hash>, ProveError> {
    if old == hi {
        // The old tree itself: the verifier knows its root. Any other common subtree is sent.
        return Ok(if lo == 0 {
            Vec::new()
        } else {
            vec![subtree_hash(lo, hi, from)?]
        });
    }
    let (k, _) = split(hi - lo);
    let (mut path, sibling) = if old <= lo + k {
        let path = consistency_path(lo, lo + k, old, from)?;
        (path, subtree_hash(lo + k, hi, from)?)
    } else {
        let sibling = subtree_hash(lo, lo + k, from)?;
        (consistency_path(lo + k, hi, old, from)?, sibling)
    };
    path.push(sibling);
    Ok(path)
}

/// Runs `walk` once to name the stored hashes it reads.
fn named<T>(
    walk: impl FnOnce(&mut Needed) -> Result<T, ProveError>,
) -> Result<Vec<u64>, ProveError> {
    let mut needed = Needed::default();
    walk(&mut needed)?;
    Ok(needed.0)
}

/// The stored hashes [`tree_hash_from`] needs for a tree of `size` leaves.
pub fn tree_hash_indexes(size: u64) -> Vec<u64> {
    if size == 0 {
        return Vec::new();
    }
    named(|needed| subtree_hash(0, size, needed)).unwrap_or_default()
}

/// The root of the tree of `size` leaves, from the hashes at [`tree_hash_indexes`]`(size)`.
pub fn tree_hash_from(size: u64, hashes: &[Hash]) -> Result<Hash, ProveError> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    let mut cursor = Cursor::new(hashes, tree_hash_indexes(size).len())?;
    subtree_hash(0, size, &mut cursor)
}

fn check_leaf(size: u64, index: u64) -> Result<(), ProveError> {
    if index >= size {
        return Err(ProveError::OutOfRange(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    Ok(())
}

/// The stored hashes [`inclusion_from`] needs to prove leaf `index` in the tree of `size`.
pub fn inclusion_indexes(size: u64, index: u64) -> Result<Vec<u64>, ProveError> {
    check_leaf(size, index)?;
    named(|needed| inclusion_path(0, size, index, needed))
}

/// The inclusion proof (RFC 9162 §2.1.3.1, leaf side first) of leaf `index` in the tree of
/// `size` leaves, from the hashes at [`inclusion_indexes`].
pub fn inclusion_from(size: u64, index: u64, hashes: &[Hash]) -> Result<Vec<Hash>, ProveError> {
    let asked = inclusion_indexes(size, index)?.len();
    let mut cursor = Cursor::new(hashes, asked)?;
    inclusion_path(0, size, index, &mut cursor)
}

fn check_sizes(old: u64, new: u64) -> Result<(), ProveError> {
    if old == 0 || old > new {
        return Err(ProveError::OutOfRange(format!(
            "no consistency proof from {old} to {new} leaves (need 1 ≤ first ≤ second)"
        )));
    }
    Ok(())
}

/// The stored hashes [`consistency_from`] needs to prove that the tree of `new` leaves extends
/// the tree of `old` leaves (`1 ≤ old ≤ new`).
pub fn consistency_indexes(old: u64, new: u64) -> Result<Vec<u64>, ProveError> {
    check_sizes(old, new)?;
    named(|needed| consistency_path(0, new, old, needed))
}

/// The consistency proof (RFC 9162 §2.1.4.1) from the tree of `old` leaves to the tree of
/// `new`, from the hashes at [`consistency_indexes`].
pub fn consistency_from(old: u64, new: u64, hashes: &[Hash]) -> Result<Vec<Hash>, ProveError> {
    let asked = consistency_indexes(old, new)?.len();
    let mut cursor = Cursor::new(hashes, asked)?;
    consistency_path(0, new, old, &mut cursor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;
    use crate::hash::leaf_hash;
    use crate::stored::{append_indexes, hashes_to_store};
    use crate::verify::{verify_consistency, verify_inclusion};

    /// The tree's root straight from RFC 6962's definition, over all leaf hashes.
    fn brute_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let (k, _) = split(n as u64);
                let (left, right) = leaves.split_at(k as usize);
                node_hash(&brute_root(left), &brute_root(right))
            }
        }
    }

    /// A log of `size` leaves kept as the server keeps it: stored hashes only.
    fn stored_log(size: u64) -> (Vec<Hash>, Vec<Hash>) {
        let mut stored: Vec<Hash> = Vec::new();
        let mut leaves = Vec::new();
        for n in 0..size {
            let leaf = leaf_hash(format!("record {n}").as_bytes());
            let siblings: Vec<Hash> = append_indexes(n)
                .iter()
                .map(|&i| stored[i as usize])
                .collect();
            stored.extend(hashes_to_store(n, leaf, &siblings));
            leaves.push(leaf);
        }
        (stored, leaves)
    }

    fn read(stored: &[Hash], indexes: &[u64]) -> Vec<Hash> {
        indexes.iter().map(|&i| stored[i as usize]).collect()
    }

    fn root_of(stored: &[Hash], size: u64) -> Hash {
        tree_hash_from(size, &read(stored, &tree_hash_indexes(size))).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_root_and_proof_from_stored_hashes_matches_the_definition(
            size in 1u64..200,
            pick in any::<u64>(),
            pick_old in any::<u64>(),
        ) {
            let (stored, leaves) = stored_log(size);
            let index = pick % size;
            let old = 1 + pick_old % size;
            // Roots of the whole tree and of every earlier size, as the definition gives them.
            let root = root_of(&stored, size);
            prop_assert_eq!(root, brute_root(&leaves));
            let old_root = root_of(&stored, old);
            prop_assert_eq!(old_root, brute_root(&leaves[..old as usize]));

            let proof = inclusion_from(
                size, index, &read(&stored, &inclusion_indexes(size, index).unwrap())
            ).unwrap();
            prop_assert!(verify_inclusion(&proof, size, &root, index, &leaves[index as usize]).is_ok());
            // Another leaf, another index or another root fails.
            let other = leaf_hash(b"not in the log");
            prop_assert!(verify_inclusion(&proof, size, &root, index, &other).is_err());
            if size > 1 {
                let moved = (index + 1) % size;
                if leaves[moved as usize] != leaves[index as usize] {
                    prop_assert!(verify_inclusion(&proof, size, &root, moved, &leaves[index as usize]).is_err());
                }
            }

            let proof = consistency_from(
                old, size, &read(&stored, &consistency_indexes(old, size).unwrap())
            ).unwrap();
            prop_assert!(verify_consistency(&proof, size, &root, old, &old_root).is_ok());
            // A rewritten history (another old root) is caught.
            prop_assert!(verify_consistency(&proof, size, &root, old, &other).is_err());
            if old < size {
                prop_assert!(verify_consistency(&proof, size, &other, old, &old_root).is_err());
            }
        }
    }

    #[test]
    fn out_of_range_requests_and_short_storage_are_errors_not_panics() {
        assert!(matches!(
            inclusion_indexes(5, 5),
            Err(ProveError::OutOfRange(_))
        ));
        assert!(matches!(
            inclusion_indexes(0, 0),
            Err(ProveError::OutOfRange(_))
        ));
        assert!(matches!(
            consistency_indexes(0, 5),
            Err(ProveError::OutOfRange(_))
        ));
        assert!(matches!(
            consistency_indexes(6, 5),
            Err(ProveError::OutOfRange(_))
        ));
        assert_eq!(tree_hash_from(0, &[]).unwrap(), EMPTY_ROOT);
        assert_eq!(
            tree_hash_from(3, &[EMPTY_ROOT]),
            Err(ProveError::WrongCount { asked: 2, got: 1 })
        );
        assert!(consistency_indexes(5, 5).unwrap().is_empty());
    }
}
