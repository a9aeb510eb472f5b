//! `0x05` key rotation: the community moves from one signing key to the next.
//! Voluntary rotations are signed by the old key and keep a grace period; emergency ones by the
//! recovery key, with none.

use serde_json::json;

use super::wire_enum;
use crate::error::{EncodeError, Malformed};
use crate::keys::CommunityKey;
use crate::wire::{Reader, Writer};

wire_enum!(
    /// Which key signed the rotation.
    RotationSigner, "signed_by", {
        /// The old signing key: a voluntary rotation.
        SigningKey = 1 => "signing_key",
        /// The recovery key: an emergency rotation.
        RecoveryKey = 2 => "recovery_key",
    }
);

wire_enum!(
    /// Why the key was rotated.
    RotationReason, "reason", {
        /// Routine rotation.
        Scheduled = 1 => "scheduled",
        /// The server moved.
        Migration = 2 => "migration",
        /// The old key was compromised.
        Compromise = 3 => "compromise",
        /// The old key may have been exposed.
        Precautionary = 4 => "precautionary",
    }
);

/// Replaces `old_key` by `new_key` from `effective_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotationPayload {
    /// The signing key being retired.
    pub old_key: CommunityKey,
    /// Its replacement.
    pub new_key: CommunityKey,
    /// Which key signed this rotation.
    pub signed_by: RotationSigner,
    /// Why.
    pub reason: RotationReason,
    /// Unix seconds from which `new_key` signs; records by `old_key` issued later are invalid.
    pub effective_at: i64,
    /// Last Unix second at which records by `old_key` are still accepted; equals
    /// `effective_at` for an emergency rotation.
    pub grace_until: i64,
}

impl KeyRotationPayload {
    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, Malformed> {
        let payload = Self {
            old_key: CommunityKey::from_bytes(reader.array("old_key")?),
            new_key: CommunityKey::from_bytes(reader.array("new_key")?),
            signed_by: RotationSigner::from_byte(reader.u8("signed_by")?)?,
            reason: RotationReason::from_byte(reader.u8("reason")?)?,
            effective_at: reader.i64("effective_at")?,
            grace_until: reader.i64("grace_until")?,
        };
        payload.check_rules()?;
        Ok(payload)
    }

    /// Rules that hold for the payload on its own; the envelope rules are in `envelope.rs`.
    pub(crate) fn check_rules(&self) -> Result<(), Malformed> {
        if self.old_key == self.new_key {
            return Err(Malformed::Rotation("new_key equals old_key"));
        }
        match self.signed_by {
            RotationSigner::SigningKey if self.grace_until < self.effective_at => {
                Err(Malformed::Rotation("grace_until is before effective_at"))
            }
            RotationSigner::RecoveryKey if self.grace_until != self.effective_at => {
                Err(Malformed::Rotation(
                    "an emergency rotation has no grace: grace_until must equal effective_at",
                ))
            }
            _ => Ok(()),
        }
    }

    /// A voluntary rotation must be signed by the key it retires.
    pub(crate) fn check_signer(&self, signer: &crate::keys::PublicKey) -> Result<(), Malformed> {
        if self.signed_by == RotationSigner::SigningKey && self.old_key.public_key() != *signer {
            return Err(Malformed::Rotation(
                "a voluntary rotation must be signed by the key it retires",
            ));
        }
        Ok(())
    }

    pub(super) fn write(&self, writer: &mut Writer<'_>) -> Result<(), EncodeError> {
        self.check_rules()?;
        writer.bytes(self.old_key.as_bytes());
        writer.bytes(self.new_key.as_bytes());
        writer.u8(self.signed_by.to_byte());
        writer.u8(self.reason.to_byte());
        writer.i64(self.effective_at);
        writer.i64(self.grace_until);
        Ok(())
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "old_key": self.old_key.to_string(),
            "new_key": self.new_key.to_string(),
            "signed_by": self.signed_by.name(),
            "reason": self.reason.name(),
            "effective_at": self.effective_at,
            "grace_until": self.grace_until,
        })
    }
}
