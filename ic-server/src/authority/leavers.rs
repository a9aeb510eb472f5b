//! Habitual leavers at the ranking authority: a rated abandon that makes a player a habitual
//! leaver (`[conduct]`) also makes their rating less certain, its deviation raised.

use std::collections::BTreeSet;

use relay_core::cmr::{CertifiedMatchResult, PlayerResult};
use scr::PlayerKey;

use super::{Authority, AuthorityError};

impl Authority {
    /// The players of `cmr` whose abandon in it, ending at `played_at`, makes them habitual
    /// leavers (their earlier abandons read from the store; none read when nobody left).
    pub(super) async fn habitual_leavers(
        &self,
        cmr: &CertifiedMatchResult,
        played_at: i64,
    ) -> Result<BTreeSet<PlayerKey>, AuthorityError> {
        let mut habitual = BTreeSet::new();
        if self.leavers.habitual_deviation_increase() == 0 {
            return Ok(habitual);
        }
        let since = played_at.saturating_sub(self.leavers.habitual_window_secs());
        for player in cmr
            .players
            .iter()
            .filter(|p| p.result == PlayerResult::Abandoned)
        {
            let earlier = self.store.abandons_since(&player.key, since).await?;
            if self.leavers.is_habitual(&earlier, played_at) {
                habitual.insert(player.key);
            }
        }
        Ok(habitual)
    }

    /// `deviation` of `player` in `module` raised for a habitual leaver, never above a new
    /// player's (the most uncertain a rating gets).
    pub(super) fn leaver_deviation(&self, player: &PlayerKey, module: &str, deviation: i64) -> i64 {
        let ceiling = self.initial_row(player, module, 0, 0, 0).deviation;
        deviation
            .saturating_add(self.leavers.habitual_deviation_increase())
            .min(ceiling.max(deviation))
    }
}
