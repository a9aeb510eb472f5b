//! RFC 6962 / RFC 9162 §2.1 hashing: a leaf is `SHA-256(0x00 ‖ bytes)`, an interior node
//! `SHA-256(0x01 ‖ left ‖ right)`, the empty tree's root `SHA-256("")`.

use sha2::{Digest, Sha256};

/// A node of the tree, or its root.
pub type Hash = [u8; 32];

/// The root of the tree with no leaves: the SHA-256 of nothing.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The leaf hash of `entry` (for the log: a record's bytes as the community signed them).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// The hash of an interior node with children `left` and `right`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// `(k, log₂ k)` for the largest power of two `k` below `n` (`n ≥ 2`): RFC 6962's split point.
pub(crate) fn split(n: u64) -> (u64, u32) {
    debug_assert!(n >= 2);
    let level = 63 - (n - 1).leading_zeros();
    (1 << level, level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_root_is_the_hash_of_nothing_and_the_split_is_below_n() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest([])));
        assert_eq!(split(2), (1, 0));
        assert_eq!(split(3), (2, 1));
        assert_eq!(split(4), (2, 1));
        assert_eq!(split(5), (4, 2));
        assert_eq!(split(8), (4, 2));
        assert_eq!(split(9), (8, 3));
        assert_eq!(split(u64::MAX), (1 << 63, 63));
    }
}
