//! Everything that can be wrong with a CertifiedMatchResult, from bytes to trust.
//! Each error has a stable snake_case code that test vectors and logs use.

use scr::signature::SignatureError;

use crate::wire::WireError;

/// Why a CMR could not be built, read or accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmrError {
    /// A structural problem (truncation, overlong field, bad UTF-8, trailing bytes).
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The version byte is not one this code reads.
    #[error("unknown CMR version {0}")]
    UnknownVersion(u8),
    /// A field holds a value the format does not define.
    #[error("field {field} has undefined value {value}")]
    UndefinedValue {
        /// The field's name in `docs/cmr-format.md`.
        field: &'static str,
        /// The value found.
        value: u64,
    },
    /// The record lists no players.
    #[error("a result must list at least one player")]
    NoPlayers,
    /// Player slots are not strictly ascending (duplicates or out of order).
    #[error("player slots must be strictly ascending")]
    SlotsNotAscending,
    /// The end time is before the start time.
    #[error("match ends before it starts")]
    EndsBeforeStart,
    /// The outcome names a team or slot that is not among the players.
    #[error("outcome names a team or slot that is not in the player list")]
    OutcomeNotInPlayers,
    /// A desync-terminated outcome disagrees with the `desync_tick` field.
    #[error("desync outcome and desync_tick disagree")]
    DesyncTickMismatch,
    /// A string is longer than 255 bytes (only when encoding).
    #[error("{0} is longer than 255 bytes")]
    StringTooLong(&'static str),
    /// The key pair given to sign is not the record's relay key.
    #[error("signing key does not match the record's relay_key")]
    WrongSigningKey,
    /// The relay key is not among the trusted relays.
    #[error("relay key is not trusted")]
    UntrustedRelay,
    /// The result is for another community.
    #[error("result is for another community")]
    WrongCommunity,
    /// The signature does not verify.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
}

impl CmrError {
    /// A short stable name for the error, used in the test-vector index and in metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Wire(wire) => wire.code(),
            Self::UnknownVersion(_) => "unknown_version",
            Self::UndefinedValue { .. } => "undefined_value",
            Self::NoPlayers => "no_players",
            Self::SlotsNotAscending => "slots_not_ascending",
            Self::EndsBeforeStart => "ends_before_start",
            Self::OutcomeNotInPlayers => "outcome_not_in_players",
            Self::DesyncTickMismatch => "desync_tick_mismatch",
            Self::StringTooLong(_) => "string_too_long",
            Self::WrongSigningKey => "wrong_signing_key",
            Self::UntrustedRelay => "untrusted_relay",
            Self::WrongCommunity => "wrong_community",
            Self::Signature(SignatureError::WeakKey) => "weak_key",
            Self::Signature(SignatureError::NonCanonical) => "non_canonical_signature",
            Self::Signature(SignatureError::Mismatch) => "bad_signature",
        }
    }
}
