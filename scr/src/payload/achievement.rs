//! `0x03` achievement: an unlocked achievement, optionally tied to the match that earned it.
//! `match_id` of 32 zero bytes means "no match".

use serde_json::json;

use super::{check_str, read_required_str, wire_enum};
use crate::error::{EncodeError, Malformed};
use crate::wire::{Reader, Writer};

wire_enum!(
    /// How firmly the community stands behind the achievement.
    AchievementVerification, "verification", {
        /// Issued on the client's word, open to challenge.
        Optimistic = 1 => "optimistic",
        /// Checked against relay or replay evidence.
        Verified = 2 => "verified",
    }
);

/// An unlocked achievement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementPayload {
    /// Game module.
    pub game_module: String,
    /// Achievement identifier within the module.
    pub achievement_id: String,
    /// Unix seconds when it was unlocked.
    pub unlocked_at: i64,
    /// The match that earned it, if any.
    pub match_id: Option<[u8; 32]>,
    /// Verification level.
    pub verification: AchievementVerification,
}

impl AchievementPayload {
    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, Malformed> {
        let game_module = read_required_str(reader, "game_module")?;
        let achievement_id = read_required_str(reader, "achievement_id")?;
        let unlocked_at = reader.i64("unlocked_at")?;
        let match_id: [u8; 32] = reader.array("match_id")?;
        let verification = AchievementVerification::from_byte(reader.u8("verification")?)?;
        Ok(Self {
            game_module,
            achievement_id,
            unlocked_at,
            match_id: (match_id != [0; 32]).then_some(match_id),
            verification,
        })
    }

    pub(super) fn write(&self, writer: &mut Writer<'_>) -> Result<(), EncodeError> {
        check_str("game_module", &self.game_module, true)?;
        check_str("achievement_id", &self.achievement_id, true)?;
        if self.match_id == Some([0; 32]) {
            // Would read back as "no match"; refuse rather than change meaning silently.
            return Err(Malformed::InvalidValue {
                field: "match_id",
                value: 0,
            }
            .into());
        }
        writer.short_str(&self.game_module);
        writer.short_str(&self.achievement_id);
        writer.i64(self.unlocked_at);
        writer.bytes(&self.match_id.unwrap_or([0; 32]));
        writer.u8(self.verification.to_byte());
        Ok(())
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "game_module": self.game_module,
            "achievement_id": self.achievement_id,
            "unlocked_at": self.unlocked_at,
            "match_id": self.match_id.map(hex::encode),
            "verification": self.verification.name(),
        })
    }
}
