//! Everything that can be wrong with a match ticket, from bytes to trust.
//! Each error has a stable snake_case code for logs, metrics and the test vectors.

use scr::signature::SignatureError;

use crate::wire::WireError;

/// Why a ticket could not be built, read or accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// A structural problem (truncation, bad UTF-8, trailing bytes, oversize input).
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The version byte is not one this code reads.
    #[error("unknown ticket version {0}")]
    UnknownVersion(u8),
    /// A field holds a value the format does not define.
    #[error("field {field} has undefined value {value}")]
    UndefinedValue {
        /// The field's name in `docs/ticket-format.md`.
        field: &'static str,
        /// The value found.
        value: u64,
    },
    /// The slot is not below the match's player count.
    #[error("slot {slot} is not below the player count {player_count}")]
    SlotOutOfRange {
        /// The slot.
        slot: u8,
        /// The match's player count.
        player_count: u8,
    },
    /// `expires_at` is not after `issued_at`.
    #[error("ticket expires before it is issued")]
    ExpiresBeforeIssued,
    /// A relay-signed ticket claims a ranked match, or a community-signed ticket names another
    /// community than its signer.
    #[error("signer kind and ticket contents disagree: {0}")]
    SignerMismatch(&'static str),
    /// A string is longer than 255 bytes (only when encoding).
    #[error("{0} is longer than 255 bytes")]
    StringTooLong(&'static str),
    /// The key pair given to sign is not the ticket's signer key.
    #[error("signing key does not match the ticket's signer_key")]
    WrongSigningKey,
    /// The signer is not among the keys this relay accepts for that kind.
    #[error("ticket signer is not trusted")]
    UntrustedSigner,
    /// The ticket's expiry has passed.
    #[error("ticket expired at {expires_at}, now is {now}")]
    Expired {
        /// The ticket's expiry.
        expires_at: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The ticket is issued further in the future than the allowed clock skew.
    #[error("ticket is issued at {issued_at}, in the future (now {now})")]
    NotYetValid {
        /// The ticket's issue time.
        issued_at: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The signature does not verify.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
}

impl TicketError {
    /// A short stable name for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Wire(wire) => wire.code(),
            Self::UnknownVersion(_) => "unknown_version",
            Self::UndefinedValue { .. } => "undefined_value",
            Self::SlotOutOfRange { .. } => "slot_out_of_range",
            Self::ExpiresBeforeIssued => "expires_before_issued",
            Self::SignerMismatch(_) => "signer_mismatch",
            Self::StringTooLong(_) => "string_too_long",
            Self::WrongSigningKey => "wrong_signing_key",
            Self::UntrustedSigner => "untrusted_signer",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Signature(SignatureError::WeakKey) => "weak_key",
            Self::Signature(SignatureError::NonCanonical) => "non_canonical_signature",
            Self::Signature(SignatureError::Mismatch) => "bad_signature",
        }
    }
}
