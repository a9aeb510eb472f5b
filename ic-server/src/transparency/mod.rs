//! The community's transparency log at run time: signing checkpoints of the log the stores
//! append to, answering inclusion and consistency proofs from its stored hashes, asking
//! witnesses to cosign, and witnessing other communities' logs.
//!
//! The log's formats and proofs are the `transparency` crate's; the leaves are appended by the
//! stores in the transactions that issue records. This module only reads and signs.

pub mod checkpoints;
pub mod cosigning;
pub mod proofs;
pub mod witness;

use scr::KeyChain;

/// The log's origin (the first line of its checkpoints, and the name its signatures are made
/// under): derived from the community's first signing key, so it stays the same when the key
/// rotates and differs between communities.
pub fn origin(chain: &KeyChain) -> String {
    format!(
        "ic-community/{}",
        hex::encode(&chain.pinned().as_bytes()[..16])
    )
}
