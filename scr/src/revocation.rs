//! One player's revocation table: the minimum valid sequence per revocable record type.
//! Minimums only rise, so replaying an old revocation can never revive revoked records.

use crate::keys::PlayerKey;
use crate::payload::Payload;
use crate::record::Record;
use crate::record_type::RecordType;
use crate::verify::Verified;

/// Why a revocation record was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// The record is not a revocation.
    #[error("record is a {0}, not a revocation")]
    NotARevocation(RecordType),
    /// The revocation is about another player.
    #[error("revocation is for {found}, this table is for {expected}")]
    WrongPlayer {
        /// The table's player.
        expected: PlayerKey,
        /// The revocation's player.
        found: PlayerKey,
    },
}

/// Minimum valid sequence per revocable record type, for one player of one community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationTable {
    player: PlayerKey,
    // Indexed by `slot`: rating, match, achievement.
    min_valid: [u64; 3],
}

impl RevocationTable {
    /// A table with nothing revoked.
    pub fn new(player: PlayerKey) -> Self {
        Self {
            player,
            min_valid: [0; 3],
        }
    }

    /// The player this table belongs to.
    pub fn player(&self) -> PlayerKey {
        self.player
    }

    /// The minimum valid sequence for `record_type` (0 for types that cannot be revoked).
    pub fn min_valid(&self, record_type: RecordType) -> u64 {
        slot(record_type).map_or(0, |slot| self.min_valid[slot])
    }

    /// Whether a record of `record_type` with `sequence` is revoked (`sequence < min_valid`).
    pub fn is_revoked(&self, record_type: RecordType, sequence: u64) -> bool {
        sequence < self.min_valid(record_type)
    }

    /// Raises the minimum for `record_type` to `min_valid` (never lowers it). Returns whether it
    /// changed. Used to load a table from storage.
    pub fn raise(&mut self, record_type: RecordType, min_valid: u64) -> bool {
        match slot(record_type) {
            Some(slot) if min_valid > self.min_valid[slot] => {
                self.min_valid[slot] = min_valid;
                true
            }
            _ => false,
        }
    }

    /// Applies a verified revocation record of this table's player. Returns whether the table
    /// changed (an older or repeated revocation changes nothing).
    pub fn apply(&mut self, record: &Verified<Record>) -> Result<bool, RevocationError> {
        let Payload::Revocation(revocation) = record.payload() else {
            return Err(RevocationError::NotARevocation(record.record_type()));
        };
        if record.player_key() != self.player {
            return Err(RevocationError::WrongPlayer {
                expected: self.player,
                found: record.player_key(),
            });
        }
        Ok(self.raise(revocation.target_record_type, revocation.min_valid_sequence))
    }
}

fn slot(record_type: RecordType) -> Option<usize> {
    match record_type {
        RecordType::Rating => Some(0),
        RecordType::Match => Some(1),
        RecordType::Achievement => Some(2),
        RecordType::Revocation | RecordType::KeyRotation => None,
    }
}
