//! A player's public match history: the match records this community issued to them, newest
//! first, as far back as `[ranking] match_history_per_player` reaches.

use scr::payload::{MatchPayload, Payload};
use scr::{PlayerKey, Record};

use super::{Authority, AuthorityError};

/// One certified match as the player's history shows it.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The match record's sequence (the `before` cursor of the next page).
    pub sequence: u64,
    /// What the match record says.
    pub payload: MatchPayload,
    /// SHA-256 of the relay's replay of the match, from its certified result, when the
    /// result was applied here.
    pub replay_hash: Option<[u8; 32]>,
}

impl Authority {
    /// Up to `limit` of `player`'s matches before the match record `before` (newest first),
    /// among the newest `match_history_per_player`.
    pub async fn match_history(
        &self,
        player: &PlayerKey,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, AuthorityError> {
        self.require_registered(player).await?;
        let shown = self.settings.match_history_per_player;
        if shown == 0 || limit == 0 {
            return Ok(Vec::new());
        }
        // The window is the newest `shown` matches, whatever page is asked for.
        let window = self.store.match_history(player, None, shown).await?;
        Ok(window
            .into_iter()
            .filter(|(record, _)| before.is_none_or(|before| record.sequence < before))
            .take(limit as usize)
            .filter_map(|(record, cmr)| {
                let decoded = Record::decode(&record.bytes).ok()?;
                let Payload::Match(payload) = decoded.payload() else {
                    return None;
                };
                let replay_hash = cmr
                    .and_then(|bytes| {
                        relay_core::cmr::CertifiedMatchResult::decode_unverified(&bytes).ok()
                    })
                    .map(|(cmr, _)| cmr.replay_hash);
                Some(HistoryEntry {
                    sequence: record.sequence,
                    payload: payload.clone(),
                    replay_hash,
                })
            })
            .collect())
    }
}
