//! Abandons of certified matches behind a trait, kept per player for the leaver cooldowns
//! (`conduct`): written in the match's own transaction, read when a player queues or asks why.

use async_trait::async_trait;
use scr::PlayerKey;

use super::StoreError;
use super::columns::{Columns, key32};

/// Days an abandon is kept: longer than any window the leaver rule looks back over.
pub const ABANDON_KEEP_DAYS: i64 = 30;

/// One player leaving one certified match for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abandon {
    /// Who left.
    pub player_key: PlayerKey,
    /// The certified result's id.
    pub match_id: [u8; 32],
    /// When the match ended (Unix seconds): the abandon counts from then.
    pub at: i64,
    /// The abandon voided the match (left within the grace period): the short cooldown.
    pub voided: bool,
}

/// The columns [`abandon_from_row`] reads.
pub(crate) const ABANDON_COLUMNS: &str = "player_key, match_id, at, voided";

/// An abandon as stored.
pub(crate) fn abandon_from_row(row: &impl Columns) -> Result<Abandon, StoreError> {
    Ok(Abandon {
        player_key: PlayerKey::from_bytes(key32(&row.blob("player_key")?)?),
        match_id: key32(&row.blob("match_id")?)?,
        at: row.int("at")?,
        voided: row.flag("voided")?,
    })
}

/// Abandons as recorded with their matches.
#[async_trait]
pub trait Abandons: Send + Sync {
    /// The abandons of `player` at or after `since`, oldest first.
    async fn abandons_since(
        &self,
        player: &PlayerKey,
        since: i64,
    ) -> Result<Vec<Abandon>, StoreError>;
}
