//! An owned, decoded record, and the builder that assigns its fields and signs it.
//! Building runs the same rules as decoding, so the builder never emits a record that fails to parse.

use crate::envelope::{HEADER_LEN, MAX_PAYLOAD_LEN, NEVER_EXPIRES, RecordView, VERSION};
use crate::error::{DecodeError, EncodeError, Malformed};

use crate::keys::{KeyPair, PlayerKey, PublicKey};
use crate::payload::Payload;
use crate::record_type::RecordType;

/// Default lifetime of a rating record: 7 days.
pub const RATING_VALIDITY_SECS: i64 = 7 * 24 * 60 * 60;

/// A decoded record: its bytes, header fields and typed payload.
///
/// A `Record` is well-formed but not trusted; `Verified<Record>` is the trusted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    bytes: Vec<u8>,
    community_key: PublicKey,
    player_key: PlayerKey,
    sequence: u64,
    issued_at: i64,
    expires_at: Option<i64>,
    payload: Payload,
}

impl Record {
    /// Decodes and checks the layout and every field rule (not the signature).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let view = RecordView::parse(bytes)?;
        Self::from_view(&view)
    }

    pub(crate) fn from_view(view: &RecordView<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            payload: view.payload()?,
            bytes: view.as_bytes().to_vec(),
            community_key: view.community_key(),
            player_key: view.player_key(),
            sequence: view.sequence(),
            issued_at: view.issued_at(),
            expires_at: view.expires_at(),
        })
    }

    /// The record's bytes, signature included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the record, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Zero-copy view over the bytes.
    pub fn view(&self) -> RecordView<'_> {
        // The bytes were parsed (or built and re-checked) when `self` was made.
        RecordView::trusted_layout(&self.bytes, self.record_type())
    }

    /// Envelope version.
    pub fn version(&self) -> u8 {
        VERSION
    }

    /// Record type.
    pub fn record_type(&self) -> RecordType {
        self.payload.record_type()
    }

    /// The key that signed the record.
    pub fn community_key(&self) -> PublicKey {
        self.community_key
    }

    /// The player the record is about.
    pub fn player_key(&self) -> PlayerKey {
        self.player_key
    }

    /// Sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Unix seconds of issue.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// Unix seconds of expiry, `None` when it never expires.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }

    /// The typed payload.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The signature.
    pub fn signature(&self) -> [u8; 64] {
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&self.bytes[self.bytes.len() - 64..]);
        signature
    }

    /// The record as the JSON object `scr inspect` prints.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "version": self.version(),
            "record_type": self.record_type().name(),
            "community_key": self.community_key.to_string(),
            "player_key": self.player_key.to_string(),
            "sequence": self.sequence,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "payload": self.payload.to_json(),
            "fingerprint": self.community_key.fingerprint().to_string(),
            "signature": hex::encode(self.signature()),
        })
    }
}

/// Assigns a record's fields and signs it.
///
/// ```
/// use scr::{KeyPair, PlayerKey, RecordBuilder, payload::{Payload, RevocationPayload, RevocationReason}, RecordType};
/// let community = KeyPair::from_seed([1; 32]);
/// let player = PlayerKey::from(KeyPair::from_seed([2; 32]).public_key());
/// let record = RecordBuilder::new(Payload::Revocation(RevocationPayload {
///         target_record_type: RecordType::Rating,
///         min_valid_sequence: 10,
///         reason: RevocationReason::Cheating,
///     }))
///     .player(player)
///     .sequence(11)
///     .issued_at(1_700_000_000)
///     .sign(&community)
///     .unwrap();
/// assert_eq!(record.as_bytes().len(), 158 + 10);
/// ```
#[derive(Debug, Clone)]
pub struct RecordBuilder {
    payload: Payload,
    player_key: Option<PlayerKey>,
    sequence: Option<u64>,
    issued_at: Option<i64>,
    expires_at: Option<i64>,
}

impl RecordBuilder {
    /// Starts a record carrying `payload`.
    pub fn new(payload: Payload) -> Self {
        Self {
            payload,
            player_key: None,
            sequence: None,
            issued_at: None,
            expires_at: None,
        }
    }

    /// The player the record is about (not set for key rotations).
    pub fn player(mut self, player_key: PlayerKey) -> Self {
        self.player_key = Some(player_key);
        self
    }

    /// The sequence number (the rotation number for key rotations).
    pub fn sequence(mut self, sequence: u64) -> Self {
        self.sequence = Some(sequence);
        self
    }

    /// Unix seconds of issue.
    pub fn issued_at(mut self, issued_at: i64) -> Self {
        self.issued_at = Some(issued_at);
        self
    }

    /// Unix seconds of expiry. Without this, rating records expire after 7 days and all other
    /// records never.
    pub fn expires_at(mut self, expires_at: i64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Marks the record as never expiring.
    pub fn never_expires(self) -> Self {
        self.expires_at(NEVER_EXPIRES)
    }

    /// Encodes the record and signs it with `key`, whose public half becomes `community_key`.
    pub fn sign(self, key: &KeyPair) -> Result<Record, EncodeError> {
        let record_type = self.payload.record_type();
        let player_key = match (record_type, self.player_key) {
            (RecordType::KeyRotation, None) => PlayerKey::from_bytes([0; 32]),
            (RecordType::KeyRotation, Some(_)) => return Err(Malformed::PlayerKeyMisuse.into()),
            (_, Some(player)) => player,
            (_, None) => return Err(EncodeError::Missing("player_key")),
        };
        let sequence = self.sequence.ok_or(EncodeError::Missing("sequence"))?;
        let issued_at = self.issued_at.ok_or(EncodeError::Missing("issued_at"))?;
        let expires_at = self.expires_at.unwrap_or(match record_type {
            RecordType::Rating => issued_at.saturating_add(RATING_VALIDITY_SECS),
            _ => NEVER_EXPIRES,
        });

        let mut bytes = Vec::with_capacity(HEADER_LEN + 128 + 64);
        bytes.push(VERSION);
        bytes.push(record_type.to_byte());
        bytes.extend_from_slice(key.public_key().as_bytes());
        bytes.extend_from_slice(player_key.as_bytes());
        bytes.extend_from_slice(&sequence.to_le_bytes());
        bytes.extend_from_slice(&issued_at.to_le_bytes());
        bytes.extend_from_slice(&expires_at.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        self.payload.encode(&mut bytes)?;
        let payload_len = u32::try_from(bytes.len() - HEADER_LEN)
            .ok()
            .filter(|len| *len <= MAX_PAYLOAD_LEN)
            .ok_or(Malformed::PayloadTooLong(u32::MAX))?;
        bytes[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&payload_len.to_le_bytes());
        let signature = key.sign(&bytes);
        bytes.extend_from_slice(&signature);

        // The envelope rules live in one place (`RecordView::parse`); running them here keeps
        // encoder and decoder from ever disagreeing. The payload was checked by `encode`.
        let view = RecordView::parse(&bytes)?;
        if let Payload::KeyRotation(rotation) = &self.payload {
            rotation.check_signer(&key.public_key())?;
        }
        Ok(Record {
            community_key: view.community_key(),
            player_key,
            sequence,
            issued_at,
            expires_at: view.expires_at(),
            payload: self.payload,
            bytes,
        })
    }
}
