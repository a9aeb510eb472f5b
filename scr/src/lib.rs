//! Signed Credential Records (SCR): the byte format, keys, rotation chain, revocation and
//! offline verification of the credentials a community issues to its players.
//!
//! The crate is pure: no I/O and no clock reads. Time (`now`, Unix seconds) and randomness come
//! in as arguments. See `docs/scr-format.md` for the byte layout and verification rules.

pub mod envelope;
pub mod error;
pub mod keys;
pub mod payload;
pub mod record;
pub mod record_type;
pub mod revocation;
pub mod rotation;
pub mod signature;
pub mod verify;
mod wire;

pub use envelope::RecordView;
pub use error::{DecodeError, EncodeError, Malformed};
pub use keys::{
    CommunityKey, Fingerprint, KeyPair, KeyParseError, PlayerKey, PublicKey, RecoveryKey, RelayKey,
};
pub use payload::Payload;
pub use record::{Record, RecordBuilder};
pub use record_type::RecordType;
pub use revocation::{RevocationError, RevocationTable};
pub use rotation::{ChainError, KeyChain};
pub use verify::{BatchError, PlayerContext, Verified, Verifier, VerifyError};
