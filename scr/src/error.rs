//! Errors of decoding and encoding records: what is wrong with the bytes, named precisely.
//! Verification errors live in `verify.rs`; these are the structural ones beneath them.

/// Why bytes are not a record this implementation accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The version byte is not one this implementation reads.
    #[error("unsupported_version: version byte {0:#04x}, expected 0x01")]
    UnsupportedVersion(u8),
    /// The record type byte is not one of the five known types.
    #[error("unknown_record_type: record type byte {0:#04x}")]
    UnknownRecordType(u8),
    /// The bytes break the layout or a field rule.
    #[error("malformed: {0}")]
    Malformed(#[from] Malformed),
}

impl DecodeError {
    /// The snake_case reason code that tools print.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedVersion(_) => "unsupported_version",
            Self::UnknownRecordType(_) => "unknown_record_type",
            Self::Malformed(_) => "malformed",
        }
    }
}

/// What exactly is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// Fewer bytes than the fixed header and signature.
    #[error("record is {0} bytes, shorter than the 158-byte minimum")]
    TooShort(usize),
    /// `payload_len` above the 65 535-byte cap.
    #[error("payload_len {0} exceeds the 65535-byte limit")]
    PayloadTooLong(u32),
    /// The record ends before the length its header announces.
    #[error("record is {actual} bytes but its header announces {expected}")]
    Truncated {
        /// Length announced by the header (158 + payload_len).
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// Bytes after the signature.
    #[error("{0} trailing bytes after the signature")]
    TrailingBytes(usize),
    /// `expires_at` is not after `issued_at`.
    #[error("expires_at {expires_at} is not after issued_at {issued_at}")]
    ExpiresBeforeIssued {
        /// The record's `issued_at`.
        issued_at: i64,
        /// The record's `expires_at`.
        expires_at: i64,
    },
    /// A player record with the all-zero player key, or a rotation record without it.
    #[error("player_key must be all zeros in key rotation records and only there")]
    PlayerKeyMisuse,
    /// The payload ends inside a field.
    #[error("payload ends inside field {0}")]
    PayloadTruncated(&'static str),
    /// The payload has bytes after its last field.
    #[error("{0} unused bytes after the last payload field")]
    PayloadTrailing(usize),
    /// A string field is not UTF-8.
    #[error("field {0} is not valid UTF-8")]
    NotUtf8(&'static str),
    /// A field holds a value outside its allowed set or range.
    #[error("field {field} has invalid value {value}")]
    InvalidValue {
        /// Field name as in docs/scr-format.md.
        field: &'static str,
        /// The offending value.
        value: i128,
    },
    /// A required string field is empty.
    #[error("field {0} must not be empty")]
    EmptyString(&'static str),
    /// A key rotation breaks one of its own rules.
    #[error("key rotation: {0}")]
    Rotation(&'static str),
}

/// Why a record could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A required field was not set on the builder.
    #[error("field {0} was not set")]
    Missing(&'static str),
    /// A string longer than the 255 bytes its length prefix can say.
    #[error("field {0} is longer than 255 bytes")]
    StringTooLong(&'static str),
    /// More than 255 participants.
    #[error("more than 255 participants")]
    TooManyParticipants,
    /// The built record would break a rule of the format; the inner error says which.
    #[error("record would be invalid: {0}")]
    Invalid(#[from] DecodeError),
}

impl From<Malformed> for EncodeError {
    fn from(malformed: Malformed) -> Self {
        Self::Invalid(DecodeError::Malformed(malformed))
    }
}
