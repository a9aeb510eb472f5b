//! `0x04` revocation: every record of one type with a lower sequence is no longer valid.
//! Only the per-player types (rating, match, achievement) can be targeted.

use serde_json::json;

use super::wire_enum;
use crate::error::{EncodeError, Malformed};
use crate::record_type::RecordType;
use crate::wire::{Reader, Writer};

wire_enum!(
    /// Why records were revoked.
    RevocationReason, "reason", {
        /// The player cheated.
        Cheating = 1 => "cheating",
        /// The player's key was compromised.
        KeyCompromise = 2 => "key_compromise",
        /// A moderator acted.
        ModeratorAction = 3 => "moderator_action",
        /// Anything else.
        Other = 4 => "other",
    }
);

/// Raises the minimum valid sequence of one record type for the record's player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationPayload {
    /// The record type revoked (rating, match or achievement).
    pub target_record_type: RecordType,
    /// Records of that type with a sequence below this are invalid.
    pub min_valid_sequence: u64,
    /// Why.
    pub reason: RevocationReason,
}

impl RevocationPayload {
    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, Malformed> {
        let target = reader.u8("target_record_type")?;
        let target_record_type = RecordType::from_byte(target)
            .filter(|t| t.is_revocable())
            .ok_or(Malformed::InvalidValue {
                field: "target_record_type",
                value: target.into(),
            })?;
        Ok(Self {
            target_record_type,
            min_valid_sequence: reader.u64("min_valid_sequence")?,
            reason: RevocationReason::from_byte(reader.u8("reason")?)?,
        })
    }

    pub(super) fn write(&self, writer: &mut Writer<'_>) -> Result<(), EncodeError> {
        if !self.target_record_type.is_revocable() {
            return Err(Malformed::InvalidValue {
                field: "target_record_type",
                value: self.target_record_type.to_byte().into(),
            }
            .into());
        }
        writer.u8(self.target_record_type.to_byte());
        writer.u64(self.min_valid_sequence);
        writer.u8(self.reason.to_byte());
        Ok(())
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "target_record_type": self.target_record_type.name(),
            "min_valid_sequence": self.min_valid_sequence,
            "reason": self.reason.name(),
        })
    }
}
