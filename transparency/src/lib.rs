//! The transparency log's pure logic: every record a community issues becomes a leaf of an
//! append-only Merkle tree, and signed checkpoints of that tree let anyone detect a rewrite.
//!
//! - [`hash`]: RFC 6962 / RFC 9162 leaf and node hashing.
//! - [`stored`]: where each hash of the tree is stored, and which hashes a new leaf adds.
//! - [`frontier`]: the tree's right border, with which a writer appends and computes the root.
//! - [`prove`]: the root, inclusion proofs and consistency proofs, from stored hashes.
//! - [`verify`]: checking those proofs, for wallets and witnesses.
//! - [`checkpoint`]: the C2SP `tlog-checkpoint` body, and [`note`]: the C2SP `signed-note`
//!   that carries it with the community's signature; [`signed`]: reading a served checkpoint
//!   against the community's key chain.
//! - [`cosignature`]: a witness's C2SP `tlog-cosignature`, and [`witness`]: the C2SP
//!   `tlog-witness` request a log sends and the witness's decision.
//! - [`sanction`]: a federated sanction, a moderation outcome a community publishes for others
//!   as a signed note.
//!
//! Nothing here does I/O: the server stores hashes in its database and hands a reader to
//! [`prove`]; the wallet keeps checkpoints and runs [`verify`].

pub mod checkpoint;
pub mod cosignature;
pub mod frontier;
pub mod hash;
pub mod note;
pub mod prove;
pub mod sanction;
pub mod signed;
pub mod stored;
pub mod verify;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use cosignature::Cosigner;
pub use frontier::{Appended, Frontier, FrontierError};
pub use hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};
pub use note::{Note, NoteError, NoteSignature, key_id, verifier_key};
pub use prove::{
    ProveError, consistency_from, consistency_indexes, inclusion_from, inclusion_indexes,
    tree_hash_from, tree_hash_indexes,
};
pub use sanction::{SanctionEntry, SanctionProblem, read_sanction};
pub use signed::{CheckpointProblem, SignedCheckpoint, read_checkpoint};
pub use stored::{append_indexes, hashes_to_store, stored_hash_count, stored_hash_index};
pub use verify::{ProofError, verify_consistency, verify_inclusion};
pub use witness::{AddCheckpoint, Refusal};
