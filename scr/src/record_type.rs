//! The five record types and their wire bytes.
//! The type byte selects the payload layout; unknown bytes are rejected, never skipped.

use std::fmt;

/// What a record attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// A player's rating snapshot (`0x01`).
    Rating,
    /// One match's result for a player (`0x02`).
    Match,
    /// An unlocked achievement (`0x03`).
    Achievement,
    /// Invalidates a player's older records of one type (`0x04`).
    Revocation,
    /// Replaces the community signing key (`0x05`).
    KeyRotation,
}

impl RecordType {
    /// Every type, in wire order.
    pub const ALL: [RecordType; 5] = [
        Self::Rating,
        Self::Match,
        Self::Achievement,
        Self::Revocation,
        Self::KeyRotation,
    ];

    /// The wire byte.
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Rating => 0x01,
            Self::Match => 0x02,
            Self::Achievement => 0x03,
            Self::Revocation => 0x04,
            Self::KeyRotation => 0x05,
        }
    }

    /// The type for a wire byte, if known.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Rating),
            0x02 => Some(Self::Match),
            0x03 => Some(Self::Achievement),
            0x04 => Some(Self::Revocation),
            0x05 => Some(Self::KeyRotation),
            _ => None,
        }
    }

    /// The snake_case name tools print.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rating => "rating",
            Self::Match => "match",
            Self::Achievement => "achievement",
            Self::Revocation => "revocation",
            Self::KeyRotation => "key_rotation",
        }
    }

    /// Whether a revocation can target this type (the per-player types).
    pub const fn is_revocable(self) -> bool {
        matches!(self, Self::Rating | Self::Match | Self::Achievement)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
