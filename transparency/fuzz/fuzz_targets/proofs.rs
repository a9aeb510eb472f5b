//! Proofs from a hostile server: any sizes, index and hashes go through both verifiers
//! without a panic (and never verify against a root the proof cannot produce by chance).
#![no_main]

use libfuzzer_sys::fuzz_target;
use transparency::{Hash, verify_consistency, verify_inclusion};

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 + 64 {
        return;
    }
    let number = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or_default());
    let (size, other, index) = (number(0), number(8), number(16));
    let hash = |at: usize| -> Hash { data[at..at + 32].try_into().unwrap_or_default() };
    let (root, leaf) = (hash(24), hash(56));
    let proof: Vec<Hash> = data[88..]
        .chunks_exact(32)
        .take(80)
        .map(|chunk| chunk.try_into().unwrap_or_default())
        .collect();
    let _ = verify_inclusion(&proof, size, &root, index, &leaf);
    let _ = verify_consistency(&proof, size, &root, other, &leaf);
});
