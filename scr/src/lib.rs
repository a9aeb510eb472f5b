//! Signed Credential Records (SCR): the byte format, keys, rotation chain, revocation and
//! offline verification of the credentials a community issues to its players.
//!
//! The crate is pure: no I/O and no clock reads. Time (`now`, Unix seconds) and randomness come
//! in as arguments. See `docs/scr-format.md` for the byte layout and verification rules.

pub mod keys;
pub mod signature;

pub use keys::{
    CommunityKey, Fingerprint, KeyPair, KeyParseError, PlayerKey, PublicKey, RecoveryKey, RelayKey,
};
