//! Where each hash of the tree is stored: every complete subtree's hash, once, in the order the
//! leaves complete them (Crosby and Wallach's layout, as Go's sumdb `tlog` stores it).
//!
//! Only complete subtrees are stored, and a complete subtree never changes, so a stored hash is
//! written once and never updated, and proofs for any earlier tree size read the same hashes.
//! (That is why this is written here rather than taken from `ct-merkle`: its helpers for trees
//! kept outside memory address nodes whose hashes change as the tree grows.)

use crate::hash::{Hash, node_hash};

/// The storage position of the hash of the `n`th complete subtree of `2^level` leaves (level 0:
/// the `n`th leaf). Leaf `n`'s hash is written at `stored_hash_index(0, n)`, followed by the
/// hashes of the subtrees it completes.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    // Level L's nth hash is written right after level L+1's (2n+1)th: walk down to level 0.
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    // Level 0's nth hash sits after n + n/2 + n/4 + … hashes.
    let mut index = 0;
    while n > 0 {
        index += n;
        n >>= 1;
    }
    index + u64::from(level)
}

/// How many hashes a tree of `size` leaves has stored.
pub fn stored_hash_count(size: u64) -> u64 {
    if size == 0 {
        return 0;
    }
    // Up to the last leaf's hash, then one per subtree that leaf completed.
    stored_hash_index(0, size - 1) + 1 + u64::from((size - 1).trailing_ones())
}

/// The stored hashes that appending leaf `n` needs: the left siblings of the subtrees it
/// completes, in increasing index order.
pub fn append_indexes(n: u64) -> Vec<u64> {
    let completed = (n + 1).trailing_zeros();
    // Each trailing 1 bit of n completes a subtree whose left half is already stored.
    (0..completed)
        .rev()
        .map(|level| stored_hash_index(level, (n >> level) - 1))
        .collect()
}

/// The hashes to store when appending leaf `n` with hash `leaf`, starting at
/// `stored_hash_index(0, n)`: the leaf, then each subtree it completes. `siblings` are the
/// hashes at [`append_indexes`]`(n)`, in that order.
///
/// # Panics
/// If `siblings` is not as long as `append_indexes(n)` (a bug in the caller's storage).
pub fn hashes_to_store(n: u64, leaf: Hash, siblings: &[Hash]) -> Vec<Hash> {
    let completed = (n + 1).trailing_zeros() as usize;
    assert_eq!(siblings.len(), completed, "append_indexes({n}) hashes");
    let mut hashes = Vec::with_capacity(1 + completed);
    let mut hash = leaf;
    hashes.push(hash);
    // `siblings` is in index order, highest level first; the first level to complete is 0.
    for sibling in siblings.iter().rev() {
        hash = node_hash(sibling, &hash);
        hashes.push(hash);
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn the_layout_interleaves_leaves_and_the_subtrees_they_complete() {
        // Leaf 0 at 0; leaf 1 at 1, completing (1, 0) at 2; leaf 2 at 3; leaf 3 at 4,
        // completing (1, 1) at 5 and (2, 0) at 6; leaf 4 at 7.
        assert_eq!(stored_hash_index(0, 0), 0);
        assert_eq!(stored_hash_index(0, 1), 1);
        assert_eq!(stored_hash_index(1, 0), 2);
        assert_eq!(stored_hash_index(0, 2), 3);
        assert_eq!(stored_hash_index(0, 3), 4);
        assert_eq!(stored_hash_index(1, 1), 5);
        assert_eq!(stored_hash_index(2, 0), 6);
        assert_eq!(stored_hash_index(0, 4), 7);
        assert_eq!(
            (0..=8).map(stored_hash_count).collect::<Vec<_>>(),
            [0, 1, 3, 4, 7, 8, 10, 11, 15]
        );
    }

    #[test]
    fn appending_stores_exactly_the_count_and_fills_every_index_once() {
        let mut store: Vec<Option<Hash>> = Vec::new();
        for n in 0..300u64 {
            let siblings: Vec<Hash> = append_indexes(n)
                .iter()
                .map(|&i| store[i as usize].expect("a sibling is stored before it is needed"))
                .collect();
            let new = hashes_to_store(n, leaf_hash(&n.to_le_bytes()), &siblings);
            let start = stored_hash_index(0, n) as usize;
            assert_eq!(start, store.len(), "leaf {n} appends at the end");
            store.extend(new.into_iter().map(Some));
            assert_eq!(store.len() as u64, stored_hash_count(n + 1));
        }
    }
}
