//! The SCR envelope: fixed header, payload, signature; and a zero-copy view over its bytes.
//! The view checks structure only; `Record` adds the typed payload, `verify` the signature.

use crate::error::{DecodeError, Malformed};
use crate::keys::{PlayerKey, PublicKey};
use crate::payload::Payload;
use crate::record_type::RecordType;

/// The only envelope version this implementation reads and writes.
pub const VERSION: u8 = 0x01;
/// Bytes before the payload: version, type, community key, player key, sequence, issued,
/// expires, payload length.
pub const HEADER_LEN: usize = 94;
/// Bytes of the trailing Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Size of a record with an empty payload.
pub const MIN_RECORD_LEN: usize = HEADER_LEN + SIGNATURE_LEN;
/// Largest accepted `payload_len`; checked before anything is allocated.
pub const MAX_PAYLOAD_LEN: u32 = 65_535;
/// Largest possible record.
pub const MAX_RECORD_LEN: usize = MIN_RECORD_LEN + MAX_PAYLOAD_LEN as usize;
/// `expires_at` of a record that never expires.
pub const NEVER_EXPIRES: i64 = i64::MAX;

// Field offsets inside the header.
const COMMUNITY_KEY_AT: usize = 2;
const PLAYER_KEY_AT: usize = 34;
const SEQUENCE_AT: usize = 66;
const ISSUED_AT: usize = 74;
const EXPIRES_AT: usize = 82;
const PAYLOAD_LEN_AT: usize = 90;

/// A structurally valid record, read in place without copying.
///
/// Only the layout has been checked: the signature has not, so nothing here is trusted yet.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    bytes: &'a [u8],
    record_type: RecordType,
}

impl<'a> RecordView<'a> {
    /// Checks the envelope layout: version, type, lengths (no trailing bytes), expiry after
    /// issue, and the player key rule.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let Some(&version) = bytes.first() else {
            return Err(Malformed::TooShort(0).into());
        };
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let Some(&type_byte) = bytes.get(1) else {
            return Err(Malformed::TooShort(bytes.len()).into());
        };
        let record_type =
            RecordType::from_byte(type_byte).ok_or(DecodeError::UnknownRecordType(type_byte))?;
        if bytes.len() < MIN_RECORD_LEN {
            return Err(Malformed::TooShort(bytes.len()).into());
        }
        let view = Self { bytes, record_type };
        let payload_len = view.payload_len();
        if payload_len > MAX_PAYLOAD_LEN {
            return Err(Malformed::PayloadTooLong(payload_len).into());
        }
        let expected = MIN_RECORD_LEN + payload_len as usize;
        if bytes.len() < expected {
            return Err(Malformed::Truncated {
                expected,
                actual: bytes.len(),
            }
            .into());
        }
        if bytes.len() > expected {
            return Err(Malformed::TrailingBytes(bytes.len() - expected).into());
        }
        let (issued_at, expires_at) = (view.issued_at(), view.expires_at_raw());
        if expires_at <= issued_at {
            return Err(Malformed::ExpiresBeforeIssued {
                issued_at,
                expires_at,
            }
            .into());
        }
        let is_rotation = record_type == RecordType::KeyRotation;
        if view.player_key().public_key().is_zero() != is_rotation {
            return Err(Malformed::PlayerKeyMisuse.into());
        }
        if is_rotation {
            if expires_at != NEVER_EXPIRES {
                return Err(Malformed::Rotation("a key rotation never expires").into());
            }
            if view.sequence() == 0 {
                return Err(Malformed::Rotation("rotation numbers start at 1").into());
            }
        }
        Ok(view)
    }

    /// Decodes the typed payload and checks the rules that join payload and envelope.
    pub fn payload(&self) -> Result<Payload, DecodeError> {
        let payload = Payload::decode(self.record_type, self.payload_bytes())?;
        if let Payload::KeyRotation(rotation) = &payload {
            rotation.check_signer(&self.community_key())?;
        }
        Ok(payload)
    }

    /// A view over bytes that were parsed before (by the owner of `bytes`).
    pub(crate) fn trusted_layout(bytes: &'a [u8], record_type: RecordType) -> Self {
        Self { bytes, record_type }
    }

    /// All bytes of the record.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Envelope version (always [`VERSION`] once parsed).
    pub fn version(&self) -> u8 {
        self.bytes[0]
    }

    /// Record type.
    pub fn record_type(&self) -> RecordType {
        self.record_type
    }

    /// The key that signed the record: the community signing key (or, for an emergency key
    /// rotation, the recovery key).
    pub fn community_key(&self) -> PublicKey {
        PublicKey::from_bytes(self.array(COMMUNITY_KEY_AT))
    }

    /// The player the record is about (all zeros for key rotations).
    pub fn player_key(&self) -> PlayerKey {
        PlayerKey::from_bytes(self.array(PLAYER_KEY_AT))
    }

    /// Per-player sequence number (rotation number for key rotations).
    pub fn sequence(&self) -> u64 {
        u64::from_le_bytes(self.array(SEQUENCE_AT))
    }

    /// Unix seconds of issue.
    pub fn issued_at(&self) -> i64 {
        i64::from_le_bytes(self.array(ISSUED_AT))
    }

    /// Unix seconds of expiry; `None` for a record that never expires.
    pub fn expires_at(&self) -> Option<i64> {
        let raw = self.expires_at_raw();
        (raw != NEVER_EXPIRES).then_some(raw)
    }

    /// The raw `expires_at` field (`i64::MAX` for never).
    pub fn expires_at_raw(&self) -> i64 {
        i64::from_le_bytes(self.array(EXPIRES_AT))
    }

    /// Length of the payload in bytes.
    pub fn payload_len(&self) -> u32 {
        u32::from_le_bytes(self.array(PAYLOAD_LEN_AT))
    }

    /// The payload bytes.
    pub fn payload_bytes(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN..self.bytes.len() - SIGNATURE_LEN]
    }

    /// Every byte the signature covers.
    pub fn signed_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.bytes.len() - SIGNATURE_LEN]
    }

    /// The signature.
    pub fn signature(&self) -> [u8; 64] {
        self.array(self.bytes.len() - SIGNATURE_LEN)
    }

    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        // In bounds: `parse` checked the length covers the header and the signature.
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[at..at + N]);
        out
    }
}
