//! The information weight of a desperation match: one the matchmaker formed after a player's
//! rating window had opened completely, between teams far apart (docs/ranking.md §3).

use std::collections::BTreeMap;

use ranking::information::FULL;
use relay_core::cmr::CertifiedMatchResult;

use super::{Authority, AuthorityError};
use crate::store::PlayerSnapshot;

impl Authority {
    /// The weight (permille) of `cmr` from its teams' rating gap before the match: full unless
    /// the matchmaker marked the game as a desperation match and the gap is wide enough for
    /// `[rating.matchmaking]` to reduce it. The mark is read only for such a gap (rare), so an
    /// ordinary result costs no read.
    pub(super) async fn desperation_weight(
        &self,
        cmr: &CertifiedMatchResult,
        snapshots: &[Option<PlayerSnapshot>],
    ) -> Result<u32, AuthorityError> {
        if !cmr.ranked {
            return Ok(FULL);
        }
        let mut teams: BTreeMap<u8, (i64, i64)> = BTreeMap::new();
        for (player, snapshot) in cmr.players.iter().zip(snapshots) {
            let Some(snapshot) = snapshot else {
                continue;
            };
            let rating = self.current_rating(snapshot, &cmr.game_module).rating;
            let team = teams.entry(player.team.0).or_default();
            team.0 += rating;
            team.1 += 1;
        }
        let means: Vec<i64> = teams.values().map(|(sum, n)| sum / n.max(&1)).collect();
        let [a, b] = means[..] else {
            return Ok(FULL);
        };
        let gap = u32::try_from((a - b).unsigned_abs() / 1000).unwrap_or(u32::MAX);
        let scale = self.rating.matchmaking.desperation_information_scale(gap);
        if scale >= FULL || !self.store.is_desperation_match(cmr.game_id).await? {
            return Ok(FULL);
        }
        Ok(scale)
    }
}
