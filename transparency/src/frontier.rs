//! The right border of the tree: the hashes of the complete subtrees a tree of some size ends
//! with. With it, a writer appends leaves and computes the root without reading stored hashes.
//!
//! A tree of `size` leaves splits into one complete subtree per set bit of `size`, largest
//! first; their hashes are the frontier. Appending a leaf pushes its hash and merges the two
//! last subtrees while they are the same size, which yields the new hashes in exactly the order
//! [`crate::stored`] keeps them, so a writer stores them at consecutive positions.

use crate::hash::{EMPTY_ROOT, Hash, node_hash};
use crate::stored::stored_hash_count;

/// Why a frontier does not fit the tree it is said to describe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontierError {
    /// A tree of `size` ends with one subtree per set bit of `size`.
    #[error("a tree of {size} leaves has {expected} frontier hashes, not {found}")]
    WrongLength {
        /// The tree's size.
        size: u64,
        /// The hashes it must have.
        expected: u32,
        /// The hashes given.
        found: usize,
    },
    /// Stored frontier bytes are not a whole number of hashes.
    #[error("frontier bytes are not a whole number of 32-byte hashes ({0} bytes)")]
    Truncated(usize),
    /// The tree cannot grow past `u64::MAX` leaves.
    #[error("the tree is full")]
    Full,
}

/// The hashes of the complete subtrees of a tree of [`Frontier::size`] leaves, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)`: the subtree of `2^level` leaves and its hash.
    subtrees: Vec<(u32, Hash)>,
}

/// What appending leaves produced: the hashes to store from position
/// [`Appended::first_position`] on, consecutively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// `stored_hash_count` of the tree before the append: where `hashes[0]` goes.
    pub first_position: u64,
    /// The leaf hashes and every subtree hash they completed, in storage order.
    pub hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Self {
        Self {
            size: 0,
            subtrees: Vec::new(),
        }
    }

    /// The frontier of a tree of `size` leaves, from its subtree hashes, largest first.
    pub fn new(size: u64, hashes: &[Hash]) -> Result<Self, FrontierError> {
        let expected = size.count_ones();
        if hashes.len() != expected as usize {
            return Err(FrontierError::WrongLength {
                size,
                expected,
                found: hashes.len(),
            });
        }
        let levels = (0..64u32).rev().filter(|level| size >> level & 1 == 1);
        Ok(Self {
            size,
            subtrees: levels.zip(hashes.iter().copied()).collect(),
        })
    }

    /// The frontier of a tree of `size` leaves, from [`Frontier::to_bytes`].
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, FrontierError> {
        if bytes.len() % 32 != 0 {
            return Err(FrontierError::Truncated(bytes.len()));
        }
        let hashes: Vec<Hash> = bytes
            .chunks_exact(32)
            .map(|chunk| {
                let mut hash = [0; 32];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect();
        Self::new(size, &hashes)
    }

    /// The subtree hashes back to back, largest first (how a database keeps them).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.subtrees.iter().flat_map(|(_, hash)| *hash).collect()
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree's root hash (RFC 6962 §2.1): the subtrees folded from the right.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some((_, last)) = subtrees.next() else {
            return EMPTY_ROOT;
        };
        subtrees.fold(*last, |right, (_, left)| node_hash(left, &right))
    }

    /// Appends `leaves` (leaf hashes, in order) and returns the hashes to store.
    pub fn append(&mut self, leaves: &[Hash]) -> Result<Appended, FrontierError> {
        let grown = u64::try_from(leaves.len())
            .ok()
            .and_then(|count| self.size.checked_add(count))
            .ok_or(FrontierError::Full)?;
        let first_position = stored_hash_count(self.size);
        let mut hashes = Vec::with_capacity(leaves.len() * 2);
        for leaf in leaves {
            hashes.push(*leaf);
            let mut merged = (0, *leaf);
            while let Some(&(level, left)) = self.subtrees.last() {
                if level != merged.0 {
                    break;
                }
                self.subtrees.pop();
                merged = (level + 1, node_hash(&left, &merged.1));
                hashes.push(merged.1);
            }
            self.subtrees.push(merged);
        }
        self.size = grown;
        Ok(Appended {
            first_position,
            hashes,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;
    use crate::hash::leaf_hash;
    use crate::prove::{tree_hash_from, tree_hash_indexes};
    use crate::stored::{append_indexes, hashes_to_store};

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|n| leaf_hash(&n.to_be_bytes())).collect()
    }

    /// The stored hashes of a tree built one leaf at a time with [`crate::stored`].
    fn stored_one_by_one(leaves: &[Hash]) -> Vec<Hash> {
        let mut store: Vec<Hash> = Vec::new();
        for (n, leaf) in leaves.iter().enumerate() {
            let n = n as u64;
            let siblings: Vec<Hash> = append_indexes(n)
                .iter()
                .map(|&i| store[i as usize])
                .collect();
            store.extend(hashes_to_store(n, *leaf, &siblings));
        }
        store
    }

    #[test]
    fn the_empty_tree_has_the_empty_root_and_no_subtrees() {
        let frontier = Frontier::empty();
        assert_eq!(frontier.root(), EMPTY_ROOT);
        assert!(frontier.to_bytes().is_empty());
        assert_eq!(Frontier::from_bytes(0, &[]).unwrap(), frontier);
    }

    #[test]
    fn a_frontier_of_the_wrong_length_is_refused() {
        assert_eq!(
            Frontier::new(5, &[[0; 32]]),
            Err(FrontierError::WrongLength {
                size: 5,
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            Frontier::from_bytes(1, &[0; 31]),
            Err(FrontierError::Truncated(31))
        );
    }

    #[test]
    fn a_tree_cannot_grow_past_the_largest_size() {
        let mut frontier = Frontier::new(u64::MAX, &vec![[0; 32]; 64]).unwrap();
        assert_eq!(frontier.append(&leaves(1)), Err(FrontierError::Full));
        assert_eq!(frontier.size(), u64::MAX);
    }

    proptest! {
        /// Appending in batches of any sizes stores what appending one leaf at a time stores,
        /// at consecutive positions, and the root is the stored tree's root after every batch,
        /// also when the frontier went through its byte form in between (as a database keeps it).
        #[test]
        fn batches_store_what_single_appends_store(batches in proptest::collection::vec(0usize..20, 0..12)) {
            let total: usize = batches.iter().sum();
            let all = leaves(total as u64);
            let expected = stored_one_by_one(&all);
            let mut frontier = Frontier::empty();
            let mut stored: Vec<Hash> = Vec::new();
            let mut at = 0;
            for count in batches {
                let appended = frontier.append(&all[at..at + count]).unwrap();
                prop_assert_eq!(appended.first_position, stored.len() as u64);
                stored.extend(appended.hashes);
                at += count;
                frontier = Frontier::from_bytes(frontier.size(), &frontier.to_bytes()).unwrap();
                let size = at as u64;
                prop_assert_eq!(stored.len() as u64, stored_hash_count(size));
                let needed: Vec<Hash> = tree_hash_indexes(size).iter().map(|&i| stored[i as usize]).collect();
                prop_assert_eq!(frontier.root(), tree_hash_from(size, &needed).unwrap());
            }
            prop_assert_eq!(stored, expected);
        }
    }
}
