//! Typed payloads of the five record types, and their byte encodings.
//! Each payload file owns one layout; this module dispatches on the record type.

mod achievement;
mod key_rotation;
mod match_result;
mod rating;
mod revocation;

pub use achievement::{AchievementPayload, AchievementVerification};
pub use key_rotation::{KeyRotationPayload, RotationReason, RotationSigner};
pub use match_result::{MatchPayload, Participant, PlayerResult};
pub use rating::RatingPayload;
pub use revocation::{RevocationPayload, RevocationReason};

use crate::error::{EncodeError, Malformed};
use crate::record_type::RecordType;
use crate::wire::{Reader, Writer};

/// The payload of a record, typed by record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `0x01`.
    Rating(RatingPayload),
    /// `0x02`.
    Match(MatchPayload),
    /// `0x03`.
    Achievement(AchievementPayload),
    /// `0x04`.
    Revocation(RevocationPayload),
    /// `0x05`.
    KeyRotation(KeyRotationPayload),
}

impl Payload {
    /// The record type this payload belongs to.
    pub fn record_type(&self) -> RecordType {
        match self {
            Self::Rating(_) => RecordType::Rating,
            Self::Match(_) => RecordType::Match,
            Self::Achievement(_) => RecordType::Achievement,
            Self::Revocation(_) => RecordType::Revocation,
            Self::KeyRotation(_) => RecordType::KeyRotation,
        }
    }

    /// Decodes the payload bytes of a record of type `record_type`; every byte must be used.
    pub fn decode(record_type: RecordType, bytes: &[u8]) -> Result<Self, Malformed> {
        let mut reader = Reader::new(bytes);
        let payload = match record_type {
            RecordType::Rating => Self::Rating(RatingPayload::read(&mut reader)?),
            RecordType::Match => Self::Match(MatchPayload::read(&mut reader)?),
            RecordType::Achievement => Self::Achievement(AchievementPayload::read(&mut reader)?),
            RecordType::Revocation => Self::Revocation(RevocationPayload::read(&mut reader)?),
            RecordType::KeyRotation => Self::KeyRotation(KeyRotationPayload::read(&mut reader)?),
        };
        reader.finish()?;
        Ok(payload)
    }

    /// Appends the payload bytes to `out`, after checking every rule decoding checks.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut writer = Writer::new(out);
        match self {
            Self::Rating(p) => p.write(&mut writer),
            Self::Match(p) => p.write(&mut writer),
            Self::Achievement(p) => p.write(&mut writer),
            Self::Revocation(p) => p.write(&mut writer),
            Self::KeyRotation(p) => p.write(&mut writer),
        }
    }

    /// The payload as a JSON object keyed by the field names of docs/scr-format.md.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Rating(p) => p.to_json(),
            Self::Match(p) => p.to_json(),
            Self::Achievement(p) => p.to_json(),
            Self::Revocation(p) => p.to_json(),
            Self::KeyRotation(p) => p.to_json(),
        }
    }
}

/// Checks a string for the `u8 length + UTF-8` encoding (and non-emptiness where required).
pub(crate) fn check_str(
    field: &'static str,
    value: &str,
    required: bool,
) -> Result<(), EncodeError> {
    if value.len() > usize::from(u8::MAX) {
        return Err(EncodeError::StringTooLong(field));
    }
    if required && value.is_empty() {
        return Err(Malformed::EmptyString(field).into());
    }
    Ok(())
}

/// Reads a string that must not be empty.
pub(crate) fn read_required_str(
    reader: &mut Reader<'_>,
    field: &'static str,
) -> Result<String, Malformed> {
    let value = reader.short_str(field)?;
    if value.is_empty() {
        return Err(Malformed::EmptyString(field));
    }
    Ok(value)
}

/// Declares a one-byte enum with its wire values and printed names.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, { $($(#[$vdoc:meta])* $variant:ident = $byte:literal => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The wire byte.
            pub const fn to_byte(self) -> u8 {
                match self { $(Self::$variant => $byte),+ }
            }

            /// Reads the wire byte, rejecting unknown values.
            pub fn from_byte(byte: u8) -> Result<Self, $crate::error::Malformed> {
                match byte {
                    $($byte => Ok(Self::$variant),)+
                    other => Err($crate::error::Malformed::InvalidValue { field: $field, value: i128::from(other) }),
                }
            }

            /// The snake_case name tools print.
            pub const fn name(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
    };
}
pub(crate) use wire_enum;
