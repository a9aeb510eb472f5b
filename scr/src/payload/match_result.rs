//! `0x02` match result: one player's view of a relay-certified match.
//! Carries the certified result's id and relay key so it can be traced back to the relay.

use serde_json::json;

use super::{check_str, read_required_str, wire_enum};
use crate::error::{EncodeError, Malformed};
use crate::keys::{PlayerKey, RelayKey};
use crate::wire::{Reader, Writer};

wire_enum!(
    /// How a match ended for one player.
    PlayerResult, "result", {
        /// Won.
        Win = 1 => "win",
        /// Lost.
        Loss = 2 => "loss",
        /// Drew.
        Draw = 3 => "draw",
        /// Left before the end.
        Abandoned = 4 => "abandoned",
    }
);

/// One player of the match as the record lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The participant's identity key.
    pub player_key: PlayerKey,
    /// Team number.
    pub team: u8,
    /// The participant's result.
    pub result: PlayerResult,
}

/// A match result for the record's player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPayload {
    /// The certified match result's id (SHA-256).
    pub match_id: [u8; 32],
    /// Game module.
    pub game_module: String,
    /// Map name; may be empty.
    pub map_name: String,
    /// Unix seconds when the match ended.
    pub played_at: i64,
    /// Length in ticks.
    pub duration_ticks: u64,
    /// The record player's result.
    pub result: PlayerResult,
    /// Rating ×1000 before the match.
    pub rating_before: i64,
    /// Rating ×1000 after the match.
    pub rating_after: i64,
    /// The relay that certified the match.
    pub relay_key: RelayKey,
    /// Every player of the match (at most 255).
    pub participants: Vec<Participant>,
}

impl MatchPayload {
    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, Malformed> {
        let match_id = reader.array("match_id")?;
        let game_module = read_required_str(reader, "game_module")?;
        let map_name = reader.short_str("map_name")?;
        let played_at = reader.i64("played_at")?;
        let duration_ticks = reader.u64("duration_ticks")?;
        let result = PlayerResult::from_byte(reader.u8("result")?)?;
        let rating_before = reader.i64("rating_before")?;
        let rating_after = reader.i64("rating_after")?;
        let relay_key = RelayKey::from_bytes(reader.array("relay_key")?);
        let count = reader.u8("participants")?;
        // Bounded by the u8 count (255 × 34 bytes), and each entry is read before it is stored.
        let mut participants = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            participants.push(Participant {
                player_key: PlayerKey::from_bytes(reader.array("participants.player_key")?),
                team: reader.u8("participants.team")?,
                result: PlayerResult::from_byte(reader.u8("participants.result")?)?,
            });
        }
        Ok(Self {
            match_id,
            game_module,
            map_name,
            played_at,
            duration_ticks,
            result,
            rating_before,
            rating_after,
            relay_key,
            participants,
        })
    }

    pub(super) fn write(&self, writer: &mut Writer<'_>) -> Result<(), EncodeError> {
        check_str("game_module", &self.game_module, true)?;
        check_str("map_name", &self.map_name, false)?;
        let count =
            u8::try_from(self.participants.len()).map_err(|_| EncodeError::TooManyParticipants)?;
        writer.bytes(&self.match_id);
        writer.short_str(&self.game_module);
        writer.short_str(&self.map_name);
        writer.i64(self.played_at);
        writer.u64(self.duration_ticks);
        writer.u8(self.result.to_byte());
        writer.i64(self.rating_before);
        writer.i64(self.rating_after);
        writer.bytes(self.relay_key.as_bytes());
        writer.u8(count);
        for participant in &self.participants {
            writer.bytes(participant.player_key.as_bytes());
            writer.u8(participant.team);
            writer.u8(participant.result.to_byte());
        }
        Ok(())
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        let participants: Vec<_> = self
            .participants
            .iter()
            .map(|p| {
                json!({
                    "player_key": p.player_key.to_string(),
                    "team": p.team,
                    "result": p.result.name(),
                })
            })
            .collect();
        json!({
            "match_id": hex::encode(self.match_id),
            "game_module": self.game_module,
            "map_name": self.map_name,
            "played_at": self.played_at,
            "duration_ticks": self.duration_ticks,
            "result": self.result.name(),
            "rating_before": self.rating_before,
            "rating_after": self.rating_after,
            "relay_key": self.relay_key.to_string(),
            "participants": participants,
        })
    }
}
